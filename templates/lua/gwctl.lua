-- gwctl's runtime inside nginx: active health checks, the balancer that skips unhealthy peers,
-- and GET /status. Glue only (lua-nginx-module + lua-resty-core): every check is a plain HTTP
-- request to the status listener, which hands it to the same upstream{} block and the same TLS
-- profile location as traffic, with the peer pinned. Lua never speaks TLS, so a check verifies
-- exactly as traffic does. Rendered into nginx.conf's init_by_lua_block by gwctl.
local ffi = require("ffi")
local bit = require("bit")
local balancer = require("ngx.balancer")

local M = {}

local DICT = "gwctl_health"
local CHECK_HOST = "gwctl-health-check.invalid"
local LEASE = 3 -- seconds the checking worker's lock lives without renewal
local MAX_BODY = 65536 -- bytes of a check's response body read (then the connection is dropped)
local NGX_BUSY = -3 -- a balancer's "no peer available" (ngx_http_lua_balancer_get_peer passes it on)

local cfg -- set by configure() in the master, inherited by every worker
local token -- random per start: only the checker may enter the check server

-- Resolving server names --------------------------------------------------------------------
-- nginx resolves upstream server names once, at start, with getaddrinfo (AI_ADDRCONFIG,
-- SOCK_STREAM), every IPv4 address first, then every IPv6 one; each address is a peer. The
-- balancer needs addresses, so the master resolves the same way, at the same moment.
pcall(
  ffi.cdef,
  [[
struct gwctl_addrinfo { int ai_flags; int ai_family; int ai_socktype; int ai_protocol;
  unsigned int ai_addrlen; void *ai_addr; char *ai_canonname; struct gwctl_addrinfo *ai_next; };
int getaddrinfo(const char *node, const char *service, const struct gwctl_addrinfo *hints,
  struct gwctl_addrinfo **res);
void freeaddrinfo(struct gwctl_addrinfo *res);
const char *gai_strerror(int errcode);
const char *inet_ntop(int af, const void *src, char *dst, unsigned int size);
int open(const char *path, int flags, int mode);
long pread(int fd, void *buf, unsigned long count, int64_t offset);
int ftruncate(int fd, int64_t length);
int close(int fd);
]]
)
local AF_INET, AF_INET6, SOCK_STREAM, AI_ADDRCONFIG = 2, 10, 1, 0x20
local O_RDWR, O_CREAT, O_APPEND, O_CLOEXEC = 2, 0x40, 0x400, 0x80000 -- Linux (x86-64, arm64)
local HEALTH_LOG_MAX = 1048576 -- bytes: once read to the end, a longer check log is emptied

local function resolve(host)
  if host:match("^%d+%.%d+%.%d+%.%d+$") or host:find(":", 1, true) then return { host } end
  local hints = ffi.new("struct gwctl_addrinfo")
  hints.ai_socktype = SOCK_STREAM
  hints.ai_flags = AI_ADDRCONFIG
  local res = ffi.new("struct gwctl_addrinfo *[1]")
  local rc = ffi.C.getaddrinfo(host, nil, hints, res)
  if rc ~= 0 then
    error("gwctl: host not found in upstream server " .. host .. ": " .. ffi.string(ffi.C.gai_strerror(rc)), 0)
  end
  local out, seen, buf = {}, {}, ffi.new("char[64]")
  for _, family in ipairs({ AF_INET, AF_INET6 }) do
    local p = res[0]
    while p ~= nil do
      if p.ai_family == family then
        -- sockaddr_in keeps the address at offset 4, sockaddr_in6 at offset 8
        local at = ffi.cast("char *", p.ai_addr) + (family == AF_INET and 4 or 8)
        local text = ffi.string(ffi.C.inet_ntop(family, at, buf, 64))
        if not seen[text] then
          seen[text] = true
          out[#out + 1] = text
        end
      end
      p = p.ai_next
    end
  end
  ffi.C.freeaddrinfo(res[0])
  return out
end

local function random_token()
  local f = assert(io.open("/dev/urandom", "rb"))
  local bytes = f:read(16)
  f:close()
  return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- Configuration (master, init_by_lua) ---------------------------------------------------------
function M.configure(c)
  c.byId = {}
  for _, up in ipairs(c.upstreams) do
    c.byId[up.id] = up
    up.peers = {}
    for _, s in ipairs(up.servers) do
      for _, ip in ipairs(resolve(s.host)) do
        local n = #up.peers + 1
        local host = ip:find(":", 1, true) and "[" .. ip .. "]" or ip -- as ngx_parse_url wants it
        up.peers[n] = {
          index = n,
          -- by address, not position: the shared dict outlives a reload, and a reloaded spec may
          -- list its servers in another order (or add some): each keeps its own health
          key = up.id .. "#" .. host .. ":" .. s.port,
          server = s.server,
          ip = host,
          port = s.port,
          address = host .. ":" .. s.port,
          weight = s.weight,
          maxFails = s.maxFails,
          failTimeout = s.failTimeout,
          backup = s.backup,
          current = 0, -- smooth weighted round robin state (per worker)
        }
      end
    end
    -- like nginx: one peer is never taken out for failed requests (max_fails is ignored)
    up.single = #up.peers == 1
  end
  -- Workers run unprivileged and may not be allowed to open the log by its path: the master
  -- opens it (as nginx opens its logs) and the workers inherit the descriptor.
  if c.checks then
    local path = ngx.config.prefix() .. "logs/health-check.log"
    c.log_fd = ffi.C.open(path, bit.bor(O_RDWR, O_CREAT, O_APPEND, O_CLOEXEC), 420) -- 0644
    -- closed with this Lua VM (a reload makes a new one), so reloads do not pile up descriptors
    if c.log_fd >= 0 then c.log_guard = ffi.gc(ffi.new("int[1]", c.log_fd), function(h) ffi.C.close(h[0]) end) end
    if c.log_fd < 0 then ngx.log(ngx.WARN, "gwctl: cannot open ", path, ": lastError will not name nginx's reason") end
  end
  local ip = resolve(c.status.address)[1]
  c.status.address = ip:find(":", 1, true) and "[" .. ip .. "]" or ip
  cfg = c
  token = random_token()
end

-- Shared health state -------------------------------------------------------------------------
local function dict() return ngx.shared[DICT] end

-- A peer is healthy until checks say otherwise.
local function healthy(p) return dict():get("h:" .. p.key) ~= 0 end

local function last_error(p)
  if healthy(p) then return nil end
  return dict():get("e:" .. p.key)
end

-- Balancer (every worker) -----------------------------------------------------------------------
local fails = {} -- [peer key] = { n = failures, at = time of the last }: per worker, as nginx's own

local function available(up, p, now)
  if not healthy(p) then return false end
  if up.single or p.maxFails == 0 then return true end
  local f = fails[p.key]
  return not (f and f.n >= p.maxFails and now - f.at < p.failTimeout)
end

local function note_failure(p)
  local now = ngx.now()
  local f = fails[p.key]
  if not f or now - f.at >= p.failTimeout then
    f = { n = 0 }
    fails[p.key] = f
  end
  f.n = f.n + 1
  f.at = now
end

-- nginx's smooth weighted round robin over the untried, available peers of one kind
local function pick(up, tried, backup, now)
  local best, total = nil, 0
  for _, p in ipairs(up.peers) do
    if p.backup == backup and not tried[p.index] and available(up, p, now) then
      p.current = p.current + p.weight
      total = total + p.weight
      if not best or p.current > best.current then best = p end
    end
  end
  if best then best.current = best.current - total end
  return best
end

local function usable_count(up, now)
  local n = 0
  for _, p in ipairs(up.peers) do
    if available(up, p, now) then n = n + 1 end
  end
  return n
end

function M.balance(id)
  local up = cfg.byId[id]
  local pinned = tonumber(ngx.var.gw_check_peer)
  if pinned then
    -- a health check: exactly this peer, once, within the check's timeout
    local p = up.peers[pinned]
    local t = up.check.timeout / 1000
    balancer.set_timeouts(t, t, t)
    local ok, err = balancer.set_current_peer(p.ip, p.port)
    if not ok then ngx.log(ngx.ERR, "gwctl: cannot use peer ", p.address, ": ", err) end
    return
  end
  local ctx = ngx.ctx
  local now = ngx.now()
  local tried = ctx.gwctl_tried
  if tried then
    if balancer.get_last_failure() == "failed" then note_failure(ctx.gwctl_peer) end
  else
    tried = {}
    ctx.gwctl_tried = tried
  end
  local p = pick(up, tried, false, now) or pick(up, tried, true, now)
  if not p then
    -- NGX_BUSY, as nginx's round robin returns it: nginx logs "no live upstreams" and answers 502
    -- (ngx.ERROR would answer 500)
    ngx.log(ngx.ERR, "gwctl: no live peers in upstream ", up.name)
    return ngx.exit(NGX_BUSY)
  end
  if not ctx.gwctl_peer then
    -- retries, as nginx's round robin allows: every other available peer once
    local more = usable_count(up, now) - 1
    if more > 0 then balancer.set_more_tries(more) end
  end
  tried[p.index] = true
  ctx.gwctl_peer = p
  local ok, err = balancer.set_current_peer(p.ip, p.port)
  if not ok then ngx.log(ngx.ERR, "gwctl: cannot use peer ", p.address, ": ", err) end
end

-- The last try of a request failing (no response header from the peer) counts like nginx's
-- max_fails; earlier tries are counted by balance() on the retry.
function M.after_request()
  local p = ngx.ctx.gwctl_peer
  if not p then return end
  local times = ngx.var.upstream_header_time
  if times and times:match("%-%s*$") and ngx.status ~= 499 then note_failure(p) end
end

-- Access phase of a profile location: every peer of a checked upstream unhealthy → 503,
-- without connecting anywhere.
function M.gate()
  local up = cfg.byId[ngx.var.gw_upstream]
  if not up or not up.check or ngx.var.gw_check_peer ~= "" then return end
  for _, p in ipairs(up.peers) do
    if healthy(p) then return end
  end
  return ngx.exit(503)
end

-- Checks (one worker) -----------------------------------------------------------------------------
local leading = false
local started = false
local in_flight = {}
local log_pos -- how far the checking worker has read logs/health-check.log
local log_errors = {} -- [connection number] = { message, info }: what nginx logged for it

-- nginx logs why a checked request failed (verify error, refused connection, timeout) to
-- logs/health-check.log, the check server's own error_log, tagged *CONNECTION.
local function scan_log()
  local fd = cfg.log_fd
  if not fd or fd < 0 then return end
  local buf_size = 65536
  local buf = ffi.new("char[?]", buf_size)
  local data = {}
  local pos = log_pos or 0
  while true do
    local n = tonumber(ffi.C.pread(fd, buf, buf_size, pos))
    if n <= 0 then break end
    data[#data + 1] = ffi.string(buf, n)
    pos = pos + n
  end
  local text = table.concat(data)
  local last_newline = text:match(".*()\n")
  if not last_newline then return end
  log_pos = (log_pos or 0) + last_newline
  for line in text:sub(1, last_newline):gmatch("[^\n]+") do
    local level, conn, msg = line:match("^%S+ %S+ %[(%a+)%] %d+#%d+: %*(%d+) (.-) while ")
    if not conn then
      level, conn, msg = line:match("^%S+ %S+ %[(%a+)%] %d+#%d+: %*(%d+) (.-), client: ")
    end
    -- the first error; an info line (e.g. the peer's TLS alert) only when nothing worse came
    local known = log_errors[conn or ""]
    if conn and (not known or (known.info and level ~= "info")) then
      log_errors[conn] = { message = msg, info = level == "info" }
    end
  end
  -- everything read: keep the file small (nginx appends, so it writes on at the new end)
  if log_pos > HEALTH_LOG_MAX and log_pos == pos and ffi.C.ftruncate(fd, 0) == 0 then log_pos = 0 end
end

local function record(up, p, ok, reason)
  local d = dict()
  local key = p.key
  if ok then
    d:set("f:" .. key, 0)
    local s = d:incr("s:" .. key, 1, 0)
    if d:get("h:" .. key) == 0 and s >= up.check.healthyAfter then
      d:set("h:" .. key, 1)
      d:delete("e:" .. key)
      ngx.log(ngx.NOTICE, "gwctl: upstream ", up.name, " peer ", p.address, " is healthy again")
    end
  else
    d:set("s:" .. key, 0)
    d:set("e:" .. key, reason)
    local n = d:incr("f:" .. key, 1, 0)
    if d:get("h:" .. key) ~= 0 and n >= up.check.unhealthyAfter then
      d:set("h:" .. key, 0)
      ngx.log(ngx.WARN, "gwctl: upstream ", up.name, " peer ", p.address, " is unhealthy: ", reason)
    end
  end
end

local function reads_status(statuses, status)
  if statuses then return statuses[status] == true end
  return status >= 200 and status <= 399
end

-- One check: GET path through the check server, which proxies it to this peer only.
local function check_peer(up, p)
  local c = up.check
  local sock = ngx.socket.tcp()
  sock:settimeout(c.timeout + 1000) -- nginx itself times out at c.timeout (balance())
  local ok, err = sock:connect(cfg.status.address, cfg.status.port)
  if not ok then return false, "cannot reach the status listener to run the check: " .. err end
  ok, err = sock:send(
    "GET " .. c.path .. " HTTP/1.1\r\nHost: " .. CHECK_HOST .. "\r\nX-Gwctl-Check: " .. token .. " " .. up.id .. " "
      .. p.index .. "\r\nUser-Agent: gwctl-health-check\r\nConnection: close\r\n\r\n"
  )
  if not ok then
    sock:close()
    return false, "check request not sent: " .. err
  end
  local line
  line, err = sock:receive("*l")
  local status = line and tonumber(line:match("^HTTP/1%.%d (%d%d%d)"))
  if not status then
    sock:close()
    if err == "timeout" then return false, "no answer within " .. c.timeout .. " ms" end
    return false, "check answered no HTTP status: " .. tostring(err or line)
  end
  local conn, upstream_status
  repeat
    line, err = sock:receive("*l")
    if line then
      local name, value = line:match("^([^:]+):%s*(.-)%s*$")
      name = name and name:lower()
      if name == "x-gwctl-connection" then conn = value end
      if name == "x-gwctl-upstream-status" then upstream_status = value end
    end
  until not line or line == ""
  -- read the (small) body to the end so that nginx sees a clean close, then drop the connection
  local read = 0
  while line and read < MAX_BODY do
    local chunk = sock:receiveany(8192)
    if not chunk then break end
    read = read + #chunk
  end
  sock:close()
  -- the status came from the peer only when nginx recorded one for it ($upstream_status)
  local from_peer = upstream_status and upstream_status:match("(%d%d%d)$")
  if from_peer and reads_status(c.statuses, status) then return true end
  scan_log()
  local logged = conn and log_errors[conn]
  if conn then log_errors[conn] = nil end
  if logged then return false, logged.message end
  if from_peer then return false, "health check " .. c.path .. " answered HTTP " .. status end
  return false, "the gateway answered HTTP " .. status .. " without reaching the peer"
end

local function check_upstream(premature, up)
  if premature or not leading then return end
  local threads = {}
  for _, p in ipairs(up.peers) do
    if not in_flight[p.key] then
      in_flight[p.key] = true
      threads[#threads + 1] = ngx.thread.spawn(function()
        local ok, res, reason = pcall(check_peer, up, p)
        if not ok then res, reason = false, "check failed: " .. tostring(res) end
        record(up, p, res, reason)
        in_flight[p.key] = nil
      end)
    end
  end
  for _, t in ipairs(threads) do ngx.thread.wait(t) end
end

-- Every worker competes for the lock each second; the holder runs every check.
local function lead(premature)
  local d = dict()
  local me = ngx.worker.pid()
  if premature then
    -- this worker exits (reload, stop): hand the lock over now rather than after its lease
    if leading and d:get("leader") == me then d:delete("leader") end
    return
  end
  local ok = d:add("leader", me, LEASE)
  if not ok and d:get("leader") == me then ok = d:set("leader", me, LEASE) end
  leading = ok and true or false
  if leading and not started then
    started = true
    scan_log() -- later reads start at the current end
    log_errors = {}
    -- spread the upstreams over their interval, so that checks do not all start at once
    local checked = {}
    for _, up in ipairs(cfg.upstreams) do
      if up.check then checked[#checked + 1] = up end
    end
    for k, up in ipairs(checked) do
      local interval = up.check.interval / 1000
      ngx.timer.at((k - 1) / #checked * interval, function(early)
        if early then return end
        ngx.timer.every(interval, check_upstream, up)
        check_upstream(false, up)
      end)
    end
  end
end

function M.start()
  for _, up in ipairs(cfg.upstreams) do
    if up.check then
      ngx.timer.at(0, lead)
      ngx.timer.every(1, lead)
      return
    end
  end
end

-- The check server's only location: authenticate, pin the peer, enter the proxy path.
function M.enter_check()
  local words = {}
  for w in (ngx.var.http_x_gwctl_check or ""):gmatch("%S+") do words[#words + 1] = w end
  local up = cfg.byId[words[2] or ""]
  local index = tonumber(words[3] or "")
  if words[1] ~= token or not up or not up.check or not index or not up.peers[index] then return ngx.exit(404) end
  ngx.req.clear_header("X-Gwctl-Check")
  ngx.var.gw_route = ""
  ngx.var.gw_upstream = up.id
  ngx.var.gw_check_peer = tostring(index)
  return ngx.exec(up.target)
end

-- GET /status ------------------------------------------------------------------------------------
local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(ch)
    if ch == '"' then return '\\"' end
    if ch == "\\" then return "\\\\" end
    return string.format("\\u%04x", ch:byte())
  end) .. '"'
end

function M.status()
  if ngx.req.get_method() ~= "GET" and ngx.req.get_method() ~= "HEAD" then return ngx.exit(405) end
  local parts = {}
  for i, up in ipairs(cfg.upstreams) do
    local peers = {}
    for j, p in ipairs(up.peers) do
      local e = up.check and last_error(p)
      peers[j] = '{"server":' .. json_string(p.server) .. ',"address":' .. json_string(p.address)
        .. ',"healthy":' .. tostring(not up.check or healthy(p)) .. ',"lastError":'
        .. (e and json_string(e) or "null") .. "}"
    end
    parts[i] = json_string(up.name) .. ':{"checked":' .. tostring(up.check ~= nil) .. ',"peers":['
      .. table.concat(peers, ",") .. "]}"
  end
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Cache-Control"] = "no-store"
  ngx.say('{"upstreams":{' .. table.concat(parts, ",") .. "}}")
end

return M
