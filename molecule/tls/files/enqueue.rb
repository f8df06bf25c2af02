# frozen_string_literal: true

# Usage: enqueue.rb MARKER; pushes one MarkerJob and prints its job ID.
require_relative "app"

puts MarkerJob.perform_async(ARGV.fetch(0))
