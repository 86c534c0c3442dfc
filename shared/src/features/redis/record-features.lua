-- Records a batch of transactions and reads what the batch needs, in one call.
-- KEYS: every key of the batch once. ARGV: ttl, then four sections, each a count followed by its
-- entries (keys named by their index in KEYS):
--   writes       key, score, member          ZADD
--   maintenance  key, min score to keep      ZREMRANGEBYSCORE below it, PEXPIRE ttl
--   reads        key, min, max               ZRANGEBYSCORE ... WITHSCORES (min/max may start with "(")
--   label sets   label key, version key, version known here, min
--                the label set from min on, WITHSCORES, unless the version is the one known here
-- Writes go first, so a read returns this batch's own entries too. Returns {reads, {version, entries?}...}.
local ttl = ARGV[1]
local a = 2
local n = tonumber(ARGV[a]); a = a + 1
for i = 1, n do
  redis.call('ZADD', KEYS[tonumber(ARGV[a])], ARGV[a + 1], ARGV[a + 2])
  a = a + 3
end
n = tonumber(ARGV[a]); a = a + 1
for i = 1, n do
  local key = KEYS[tonumber(ARGV[a])]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[a + 1])
  redis.call('PEXPIRE', key, ttl)
  a = a + 2
end
local reads = {}
n = tonumber(ARGV[a]); a = a + 1
for i = 1, n do
  reads[i] = redis.call('ZRANGEBYSCORE', KEYS[tonumber(ARGV[a])], ARGV[a + 1], ARGV[a + 2], 'WITHSCORES')
  a = a + 3
end
local labels = {}
n = tonumber(ARGV[a]); a = a + 1
for i = 1, n do
  local version = redis.call('GET', KEYS[tonumber(ARGV[a + 1])]) or '0'
  if version == ARGV[a + 2] then
    labels[i] = {version}
  else
    labels[i] = {version, redis.call('ZRANGEBYSCORE', KEYS[tonumber(ARGV[a])], ARGV[a + 3], '+inf', 'WITHSCORES')}
  end
  a = a + 4
end
return {reads, labels}
