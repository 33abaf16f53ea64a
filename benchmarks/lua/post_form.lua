-- POSTs a form again and again, each time with a unique token in place of
-- BENCHTOKEN, so the stored rows can be counted afterwards. FORM_BODY, ORIGIN
-- and RUN_ID are defined above this text by benchmarks/wrk.py. A browser names the
-- page's origin on a POST; the shared comment form relies on it instead of a token.
--
-- Each thread counts the requests it began (sent) and keeps the comment id each
-- redirect names (answered, from "…#comment-<id>"): report.lua adds them up, so the
-- benchmark can match every answer to a stored row, and tell requests still in flight
-- when wrk stopped (sent, never answered, maybe stored) from comments lost.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Origin"] = ORIGIN
sent = 0
answered = {}

function request()
  sent = sent + 1
  local token = RUN_ID .. "-t" .. tid .. "-n" .. sent
  local body = string.gsub(FORM_BODY, "BENCHTOKEN", token)
  return wrk.format(nil, nil, nil, body)
end

function on_response(status, headers)
  local location = headers["Location"] or headers["location"]
  local id = location and string.match(location, "#comment%-(%d+)$")
  if id then
    answered[#answered + 1] = id
  end
end
