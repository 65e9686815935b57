-- GET /users?limit=50 page walks: each response's next_after is the next request's after,
-- and a last page (next_after null) starts the walk again. The connections of one wrk
-- thread share its cursor, so concurrent walks interleave rather than repeat.
local after = nil

function request()
  local path = "/users?limit=50"
  if after then
    path = path .. "&after=" .. after
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  after = body:match('"next_after":(%d+)')
end

done = require("report").done
