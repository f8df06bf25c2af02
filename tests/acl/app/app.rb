# frozen_string_literal: true

# Test app for the molecule/acl scenario, loaded by the Sidekiq worker
# (sidekiq -r app.rb) and by client.rb. The Redis URL, with the ACL user and
# password, is read from the file the redis_app_credentials role writes.
require "sidekiq"

module LabApp
  PERFORMED_LOG = ENV.fetch("LAB_PERFORMED_LOG", "/var/lib/sidekiq-lab/performed.log")

  def self.env_file
    ENV.fetch("REDIS_ENV_FILE", "/etc/sidekiq/redis.env")
  end

  def self.redis_url(path = env_file)
    File.foreach(path) do |line|
      return line.strip.delete_prefix("REDIS_URL=") if line.start_with?("REDIS_URL=")
    end
    raise "no REDIS_URL in #{path}"
  end

  # One line per run, appended under a lock: the tests count them.
  def self.record(kind, id)
    File.open(PERFORMED_LOG, "a") do |file|
      file.flock(File::LOCK_EX)
      file.puts("#{kind} #{id}")
    end
  end
end

Sidekiq.configure_server do |config|
  config.redis = {url: LabApp.redis_url}
  # Check the schedule and retry sets every second or so, not every 5 s.
  Sidekiq.options[:average_scheduled_poll_interval] = 1
end

Sidekiq.configure_client do |config|
  config.redis = {url: LabApp.redis_url, size: 2}
end

class RecordJob
  include Sidekiq::Worker

  def perform(id)
    LabApp.record("performed", id)
  end
end

# Fails every time: one retry a second later, then the dead set.
class FailingJob
  include Sidekiq::Worker
  sidekiq_options retry: 1
  sidekiq_retry_in { |_count, _exception| 1 }

  def perform(id)
    LabApp.record("attempt", id)
    raise "deliberate failure of #{id}"
  end
end
