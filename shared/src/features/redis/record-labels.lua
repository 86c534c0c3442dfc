-- Records label events, raising a terminal's version counter when its label set gains a member.
-- KEYS: per label, its set and its version counter. ARGV: ttl, then per label score, member, trim bound.
local ttl = ARGV[1]
for i = 0, #KEYS / 2 - 1 do
  local set, version = KEYS[i * 2 + 1], KEYS[i * 2 + 2]
  local a = 2 + i * 3
  if redis.call('ZADD', set, ARGV[a], ARGV[a + 1]) == 1 then redis.call('INCR', version) end
  redis.call('ZREMRANGEBYSCORE', set, '-inf', '(' .. ARGV[a + 2])
  redis.call('PEXPIRE', set, ttl)
  redis.call('PEXPIRE', version, ttl)
end
return #KEYS / 2
