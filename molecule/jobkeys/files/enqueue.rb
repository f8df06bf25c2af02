# frozen_string_literal: true

# Usage: enqueue.rb CLASS ORDER_ID CARD_NUMBER; prints the job ID.
require_relative "app"

klass = Object.const_get(ARGV.fetch(0))
puts klass.perform_async(Integer(ARGV.fetch(1)), { "card" => ARGV.fetch(2), "holder" => "Test Holder" })
