# frozen_string_literal: true

# Client side of the test app, run as the app's OS user by the tests:
#   client.rb push ID | push_in SECONDS ID | push_bulk PREFIX COUNT | fail ID
#   client.rb stats                      (as the dashboard user)
#   client.rb produce PREFIX RATE STOPFILE LOG
# Prints JSON. Errors go to stderr with a non-zero exit status.
require "json"
require "sidekiq/api"
require_relative "app"

def stats
  stats = Sidekiq::Stats.new
  {
    processed: stats.processed,
    failed: stats.failed,
    enqueued: stats.enqueued,
    scheduled: stats.scheduled_size,
    retries: stats.retry_size,
    dead: stats.dead_size,
    processes: stats.processes_size,
    queues: Sidekiq::Queue.all.to_h { |q| [q.name, q.size] },
    retry_ids: Sidekiq::RetrySet.new.map { |job| job.args.first },
    dead_ids: Sidekiq::DeadSet.new.map { |job| job.args.first },
    scheduled_ids: Sidekiq::ScheduledSet.new.map { |job| job.args.first },
    workers: Sidekiq::Workers.new.size,
    history: Sidekiq::Stats::History.new(2).processed.size
  }
end

# Pushes RATE jobs a second until STOPFILE exists, logging each id once the
# push returned. Re-reads the credentials file when it changes, as an app
# would after a rotation restarts or signals it.
def produce(prefix, rate, stopfile, log)
  url = LabApp.redis_url
  count = 0
  File.open(log, "a") do |out|
    until File.exist?(stopfile)
      fresh = LabApp.redis_url
      if fresh != url
        url = fresh
        Sidekiq.redis = {url: url, size: 2}
      end
      id = "#{prefix}-#{count}"
      RecordJob.set(queue: "rotation").perform_async(id)
      out.puts(id)
      out.flush
      count += 1
      sleep(1.0 / rate)
    end
  end
  {produced: count}
end

command, *args = ARGV
result =
  case command
  when "push" then {jid: RecordJob.perform_async(args[0])}
  when "push_in" then {jid: RecordJob.perform_in(Integer(args[0]), args[1])}
  when "push_bulk"
    jids = Sidekiq::Client.push_bulk(
      "class" => RecordJob,
      "args" => Array.new(Integer(args[1])) { |i| ["#{args[0]}-#{i}"] }
    )
    {jids: jids}
  when "fail" then {jid: FailingJob.perform_async(args[0])}
  when "stats" then stats
  when "produce" then produce(args[0], Float(args[1]), args[2], args[3])
  else
    warn "unknown command #{command.inspect}"
    exit 2
  end
puts JSON.generate(result)
