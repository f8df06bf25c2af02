"""Loads real-looking application data and Sidekiq jobs into a local Redis.

Sessions, caches, counters and rate limits beside Sidekiq's own structures:
queued jobs in queue:default and queue:mailers, scheduled jobs, retries and
dead jobs, in the JSON layout Sidekiq 6 writes. Values are synthetic (test
card numbers, example.com addresses). Runs on the lab's Redis host.
"""

import json
import random
import time
import uuid

import redis

rng = random.Random(20261203)
client = redis.Redis(host="127.0.0.1", port=6379)
now = time.time()


def job(klass, queue, args, **extra):
    payload = {
        "class": klass,
        "args": args,
        "retry": True,
        "queue": queue,
        "jid": uuid.UUID(int=rng.getrandbits(128)).hex[:24],
        "created_at": now - rng.uniform(0, 3600),
        "enqueued_at": now - rng.uniform(0, 60),
    }
    payload.update(extra)
    return json.dumps(payload)


pipe = client.pipeline(transaction=False)
for i in range(3000):
    pipe.hset(
        f"session:{uuid.UUID(int=rng.getrandbits(128))}",
        mapping={"user_id": i, "ip": f"198.51.100.{i % 250}", "csrf": uuid.uuid4().hex},
    )
for i in range(1500):
    pipe.set(f"cache:product:{i}", json.dumps({"id": i, "price": rng.randint(1, 999)}))
for i in range(500):
    pipe.incrby(f"ratelimit:api:{i}", rng.randint(1, 50))
pipe.execute()

queued = [
    job("WelcomeMailer", "mailers", [f"user{i}@example.com", "Welcome!"])
    for i in range(200)
] + [
    job("ChargeCardJob", "default", [i, {"card": "4111111111111111", "cvv": "123"}])
    for i in range(300)
]
for payload in queued:
    queue = json.loads(payload)["queue"]
    pipe.lpush(f"queue:{queue}", payload)
    pipe.sadd("queues", queue)

for i in range(80):
    pipe.zadd(
        "schedule",
        {job("ReminderJob", "default", [i, "in 1 day"]): now + 86400 + i},
    )
for i in range(40):
    failed = job(
        "SyncCrmJob",
        "default",
        [i, {"api_token": "sk_test_" + uuid.uuid4().hex}],
        error_class="Net::ReadTimeout",
        error_message="timed out",
        failed_at=now - 600,
        retry_count=rng.randint(0, 5),
    )
    pipe.zadd("retry", {failed: now + 60 * (i + 1)})
for i in range(20):
    dead = job(
        "ExportJob",
        "default",
        [i],
        error_class="RuntimeError",
        error_message="gave up",
        failed_at=now - 86400,
        retry_count=25,
    )
    pipe.zadd("dead", {dead: now - 86400 + i})
pipe.set("stat:processed", 123456)
pipe.set("stat:failed", 789)
pipe.execute()
# What was loaded, for tests that check nothing is lost by hardening.
counts = {
    "total_keys": client.dbsize(),
    "queued": sum(
        client.llen(f"queue:{q.decode()}") for q in client.smembers("queues")
    ),
    "schedule": client.zcard("schedule"),
    "retry": client.zcard("retry"),
    "dead": client.zcard("dead"),
}
with open("/root/lab-seed-counts.json", "w", encoding="utf-8") as handle:
    json.dump(counts, handle)
print(f"loaded {counts['total_keys']} keys")
