-- POSTs a form again and again, each time with a unique token in place of
-- BENCHTOKEN, so the stored rows can be counted afterwards. FORM_BODY, COOKIE
-- and RUN_ID are defined above this text by benchmarks/wrk.py.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = COOKIE
local sent = 0

function request()
  sent = sent + 1
  local token = RUN_ID .. "-t" .. tid .. "-n" .. sent
  local body = string.gsub(FORM_BODY, "BENCHTOKEN", token)
  return wrk.format(nil, nil, nil, body)
end
