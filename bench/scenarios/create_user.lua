-- POST /users with ids no other request uses: base (wrk arg 1) + thread slot + a counter.
local THREAD_SLOT = 100000000
local threads = 0
local next_id = 0

function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

function init(args)
  local base = tonumber(args[1]) or error("create_user.lua needs an id base as its argument")
  next_id = base + thread_index * THREAD_SLOT
end

function request()
  next_id = next_id + 1
  local body = string.format('{"id":%.0f,"name":"bench user %.0f"}', next_id, next_id)
  return wrk.format("POST", "/users", { ["Content-Type"] = "application/json" }, body)
end

done = require("report").done
