# frozen_string_literal: true

# Test app of the tls scenario: Debian's Sidekiq 6.4 reaching Redis over TLS
# with the client certificate and CA the redis_tls role installed, named by
# the REDIS_TLS_* lines redis_app_credentials writes next to REDIS_URL.
# Without REDIS_TLS_CERT_FILE it speaks plaintext (the capture test's control).
require "json"
require "openssl"
require "sidekiq"

OUT = "/var/lib/jobapp/out"

def redis_options
  options = { url: ENV.fetch("REDIS_URL") }
  cert_file = ENV.fetch("REDIS_TLS_CERT_FILE", "")
  return options if cert_file.empty?

  options[:ssl_params] = {
    ca_file: ENV.fetch("REDIS_TLS_CA_FILE"),
    cert: OpenSSL::X509::Certificate.new(File.read(cert_file)),
    key: OpenSSL::PKey.read(File.read(ENV.fetch("REDIS_TLS_KEY_FILE"))),
    verify_mode: OpenSSL::SSL::VERIFY_PEER
  }
  options
end

Sidekiq.configure_client { |config| config.redis = redis_options }
Sidekiq.configure_server do |config|
  config.redis = redis_options
  Sidekiq.options[:average_scheduled_poll_interval] = 1
end

# Writes what perform received to OUT/<jid>.json.
class MarkerJob
  include Sidekiq::Worker

  def perform(marker)
    tmp = File.join(OUT, ".#{jid}.tmp")
    File.write(tmp, JSON.generate({ "jid" => jid, "marker" => marker }))
    File.rename(tmp, File.join(OUT, "#{jid}.json"))
  end
end
