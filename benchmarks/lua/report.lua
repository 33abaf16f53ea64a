-- Shared by every benchmark run: counts answers by status in each wrk thread
-- and prints one machine-readable line (WRKJSON {...}) when wrk is done. A script
-- above this text may define on_response(status, headers), and count the requests it
-- began in a global "sent" and keep ids in a global list "answered": both are added
-- up over the threads and printed too.
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if on_response then
    on_response(status, headers)
  end
end

function done(summary, latency, requests)
  local totals = {}
  local sent_total = -1 -- no script counted what it sent
  local ids = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      totals[code] = (totals[code] or 0) + n
    end
    local thread_sent = thread:get("sent")
    if thread_sent then
      sent_total = math.max(sent_total, 0) + thread_sent
    end
    for _, id in ipairs(thread:get("answered") or {}) do
      ids[#ids + 1] = id
    end
  end
  local codes = {}
  for code, n in pairs(totals) do
    codes[#codes + 1] = string.format('"%d":%d', code, n)
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"statuses":{%s},"sent":%d,"answered":[%s]}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(codes, ","),
    sent_total, table.concat(ids, ",")))
end
