-- POSTs a form again and again, each time with a unique token in place of
-- BENCHTOKEN, so the stored rows can be counted afterwards. FORM_BODY, ORIGIN
-- and RUN_ID are defined above this text by benchmarks/wrk.py. A browser names the
-- page's origin on a POST; the shared comment form relies on it instead of a token.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Origin"] = ORIGIN
local sent = 0

function request()
  sent = sent + 1
  local token = RUN_ID .. "-t" .. tid .. "-n" .. sent
  local body = string.gsub(FORM_BODY, "BENCHTOKEN", token)
  return wrk.format(nil, nil, nil, body)
end
