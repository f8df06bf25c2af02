# frozen_string_literal: true

# Encrypted job arguments for Sidekiq 6.4 (control DATA-02): a client
# middleware that encrypts the last argument (a Hash) of jobs whose class
# says `sidekiq_options encrypt: true`, and a server middleware that opens
# it again before `perform`.
#
# The envelope is the collection's `jqenc` format, version 1, as documented
# in plugins/module_utils/job_envelope.py: AES-256-GCM with a random 12-byte
# IV, the additional authenticated data "jqenc:1:v=<key version>", and
# base64url without padding for the IV and for the ciphertext followed by
# its 16-byte tag. Jobs written by the Python helper open here and the other
# way round.
#
# Keys come from the file the redis_job_keys role writes (readable by the app
# user only): {"format": 1, "active_version": N, "versions": {"N": base64}}.
# The file is read again when it changes, so a rotation needs no restart;
# old versions keep decrypting jobs that were encrypted before it.
#
#   require_relative "jqenc"
#   JQEnc.install!                      # both middlewares, default key file
#
#   class PaymentJob
#     include Sidekiq::Worker
#     sidekiq_options encrypt: true
#     def perform(order_id, secrets) = ...  # secrets arrives in clear
#   end

require "base64"
require "json"
require "openssl"

module JQEnc
  FORMAT_MARKER = "_jqenc"
  FORMAT_VERSION = 1
  ALGORITHM = "A256GCM"
  KEY_BYTES = 32
  IV_BYTES = 12
  TAG_BYTES = 16
  MEMBERS = [FORMAT_MARKER, "v", "alg", "iv", "ct"].sort.freeze
  DEFAULT_KEY_FILE = "/etc/sidekiq/job-keys.json"

  class Error < StandardError; end

  # Versioned keys from the key file, reloaded when the file changes.
  class Keyring
    def initialize(path)
      @path = path
      @mutex = Mutex.new
      @stamp = nil
    end

    def active_version
      current[:active]
    end

    def key(version)
      current[:keys].fetch(version) do
        raise Error, "no key for version #{version} in #{@path}"
      end
    end

    private

    def current
      @mutex.synchronize do
        stat = File.stat(@path)
        stamp = [stat.mtime, stat.size, stat.ino]
        if stamp != @stamp
          @ring = load
          @stamp = stamp
        end
        @ring
      end
    end

    def load
      doc = JSON.parse(File.read(@path))
      keys = doc.fetch("versions").to_h do |version, text|
        raw = Base64.strict_decode64(text)
        raise Error, "key version #{version} in #{@path} is not #{KEY_BYTES} bytes" if raw.bytesize != KEY_BYTES

        [Integer(version), raw]
      end
      active = Integer(doc.fetch("active_version"))
      raise Error, "active version #{active} has no key in #{@path}" unless keys.key?(active)

      { active: active, keys: keys }
    rescue ArgumentError, KeyError, JSON::ParserError => e
      raise Error, "cannot read the key file #{@path}: #{e.class}"
    end
  end

  module_function

  def b64encode(raw)
    Base64.urlsafe_encode64(raw, padding: false)
  end

  def b64decode(text)
    Base64.urlsafe_decode64(text)
  end

  def aad(version)
    "jqenc:#{FORMAT_VERSION}:v=#{version}"
  end

  # The key version if `value` is a well-formed envelope, else nil.
  def envelope_version(value)
    return nil unless value.is_a?(Hash) && value.keys.sort == MEMBERS
    return nil unless value[FORMAT_MARKER] == FORMAT_VERSION && value["alg"] == ALGORITHM

    version = value["v"]
    return nil unless version.is_a?(Integer) && version.positive?

    version
  end

  def encrypt_value(hash, key, version)
    raise Error, "only a Hash argument can be encrypted" unless hash.is_a?(Hash)

    cipher = OpenSSL::Cipher.new("aes-256-gcm").encrypt
    cipher.key = key
    iv = cipher.random_iv
    cipher.auth_data = aad(version)
    ct = cipher.update(JSON.generate(hash)) + cipher.final
    {
      FORMAT_MARKER => FORMAT_VERSION,
      "v" => version,
      "alg" => ALGORITHM,
      "iv" => b64encode(iv),
      "ct" => b64encode(ct + cipher.auth_tag(TAG_BYTES))
    }
  end

  def decrypt_value(envelope, keyring)
    version = envelope_version(envelope)
    raise Error, "the value is not a jqenc envelope" if version.nil?

    iv = b64decode(envelope["iv"])
    blob = b64decode(envelope["ct"])
    # Ruby accepts a short tag without complaint; a full one is required.
    raise Error, "the envelope is malformed" if iv.bytesize != IV_BYTES || blob.bytesize < TAG_BYTES

    cipher = OpenSSL::Cipher.new("aes-256-gcm").decrypt
    cipher.key = keyring.key(version)
    cipher.iv = iv
    cipher.auth_tag = blob[-TAG_BYTES..]
    cipher.auth_data = aad(version)
    plain = cipher.update(blob[0...-TAG_BYTES]) + cipher.final
    result = JSON.parse(plain.force_encoding(Encoding::UTF_8))
    raise Error, "the decrypted argument is not a Hash" unless result.is_a?(Hash)

    result
  rescue OpenSSL::Cipher::CipherError
    raise Error, "the envelope failed authentication with key version #{version}"
  rescue ArgumentError
    raise Error, "the envelope is malformed"
  end

  # Client side: runs wherever jobs are pushed (web app, other jobs).
  class ClientMiddleware
    def initialize(keyring)
      @keyring = keyring
    end

    def call(_worker_class, job, _queue, _redis_pool)
      args = job["args"]
      if job["encrypt"] && args.is_a?(Array) && !args.empty? && envelope_version_of(args.last).nil?
        version = @keyring.active_version
        args[-1] = JQEnc.encrypt_value(args.last, @keyring.key(version), version)
      end
      yield
    end

    private

    def envelope_version_of(value)
      JQEnc.envelope_version(value)
    end
  end

  # Server side: opens the envelope just before perform. The job string the
  # retry set keeps is the one read from Redis, so a failed job goes back
  # to Redis still encrypted.
  class ServerMiddleware
    def initialize(keyring)
      @keyring = keyring
    end

    def call(_worker, job, _queue)
      args = job["args"]
      if args.is_a?(Array) && !args.empty? && JQEnc.envelope_version(args.last)
        args[-1] = JQEnc.decrypt_value(args.last, @keyring)
      end
      yield
    end
  end

  def install!(key_file: ENV.fetch("JQENC_KEY_FILE", DEFAULT_KEY_FILE))
    keyring = Keyring.new(key_file)
    Sidekiq.configure_client do |config|
      config.client_middleware { |chain| chain.add ClientMiddleware, keyring }
    end
    Sidekiq.configure_server do |config|
      # Jobs pushed from inside a job are encrypted too.
      config.client_middleware { |chain| chain.add ClientMiddleware, keyring }
      config.server_middleware { |chain| chain.prepend ServerMiddleware, keyring }
    end
    keyring
  end
end
