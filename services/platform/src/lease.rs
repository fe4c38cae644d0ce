//! Leases for singleton jobs: one process at a time holds `lease:<name>` in Redis and
//! renews it while it works; if it dies the lease lapses and another process takes over.

use crate::kv::Redis;
use std::time::Duration;

/// Take or renew the lease `name` for `holder` for `ttl`. False when another holder has
/// it, or Redis is unreachable (then nobody runs the job, which is the safe side).
pub async fn acquire(redis: &Redis, name: &str, holder: &str, ttl: Duration) -> bool {
    let key = redis.key(&format!("lease:{name}"));
    let mut conn = redis.conn();
    // Renew if we hold it, else take it if free: one atomic script.
    let script = redis::Script::new(
        r"local v = redis.call('GET', KEYS[1])
          if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
          if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
          return 0",
    );
    script
        .key(key)
        .arg(holder)
        .arg(ttl.as_millis() as u64)
        .invoke_async::<i32>(&mut conn)
        .await
        .map(|v| v == 1)
        .unwrap_or(false)
}
