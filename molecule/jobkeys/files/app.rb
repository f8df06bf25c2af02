# frozen_string_literal: true

# Test app of the jobkeys scenario: Sidekiq 6.4 with the jqenc middleware.
# Each job writes what `perform` received to OUT/<jid>.json so the tests can
# see the value the worker got. A job fails while FAIL/<order id> exists.
require "json"
require "sidekiq"
require_relative "jqenc"

OUT = "/var/lib/jobapp/out"
FAIL = "/var/lib/jobapp/fail"

redis = { url: ENV.fetch("REDIS_URL") }
Sidekiq.configure_client { |config| config.redis = redis }
Sidekiq.configure_server do |config|
  config.redis = redis
  # Poll the schedule and retry sets every second, from the start.
  Sidekiq.options[:average_scheduled_poll_interval] = 1
  Sidekiq.options[:poll_interval_average] = 1
end
JQEnc.install!

module Recorder
  def record(order_id, secrets)
    raise "order #{order_id} is told to fail" if File.exist?(File.join(FAIL, order_id.to_s))

    tmp = File.join(OUT, ".#{jid}.tmp")
    File.write(tmp, JSON.generate({ "jid" => jid, "order_id" => order_id, "secrets" => secrets }))
    File.rename(tmp, File.join(OUT, "#{jid}.json"))
  end
end

# Opts in to encryption of its last argument.
class CardJob
  include Sidekiq::Worker
  include Recorder
  # A failed job waits in the retry set until a test moves it.
  sidekiq_options encrypt: true, retry: 5
  sidekiq_retry_in { |_count, _exception| 3600 }

  def perform(order_id, secrets)
    record(order_id, secrets)
  end
end

# The control: the same job without encryption.
class PlainCardJob
  include Sidekiq::Worker
  include Recorder

  def perform(order_id, secrets)
    record(order_id, secrets)
  end
end
