-- GET /users/{id} for a random id among the pre-loaded users 1..N (wrk arg 1: N).
local users = 0

function setup(thread)
  thread:set("seed", math.random(1, 2 ^ 30))
end

function init(args)
  users = tonumber(args[1]) or error("get_user.lua needs the user count as its argument")
  math.randomseed(seed)
end

function request()
  return wrk.format("GET", "/users/" .. math.random(1, users))
end

done = require("report").done
