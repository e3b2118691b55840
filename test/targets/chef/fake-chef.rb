# A stand-in for Chef Infra Client's compile phase, for tests on a machine without Chef: it evaluates the
# generated cookbook (attributes, libraries, recipes) against one node's data bag items from a generated
# chef-repo, with the same mechanisms Chef uses (instance_eval of recipe files, resource blocks evaluated on
# the resource), and prints every declared resource as JSON. Nothing is converged; commands that guards and
# verifications would run are recorded instead of run.
#
# Usage: ruby -w fake-chef.rb CHEF_REPO COOKBOOK NODE_NAME [SECRET_FILE]
require 'json'
require 'base64'
require 'openssl'
require 'digest'

REPO, COOKBOOK, NODE_NAME, SECRET_FILE = ARGV
COMMANDS_RUN = []

# Stubs for the parts of Chef and mixlib-shellout the cookbook touches outside resources.
module Mixlib
  class ShellOut
    attr_reader :stdout, :stderr

    def initialize(*argv)
      @argv = argv
      @stdout = ''
      @stderr = ''
    end

    def run_command
      COMMANDS_RUN << @argv
      self
    end

    def error?
      false
    end
  end
end
$LOADED_FEATURES << 'mixlib/shellout.rb'

class Chef
  class Log
    def self.warn(message)
      COMMANDS_RUN << ['<log>', message]
    end
  end

  # Decrypts version 3 items as Chef::EncryptedDataBagItem::Decryptor::Version3Decryptor does.
  class EncryptedDataBagItem
    def self.load_secret(path)
      File.read(path).strip
    end

    def self.decrypt(raw, secret)
      raw.each_with_object({}) do |(key, value), plain|
        next plain[key] = value if key == 'id'
        raise "#{key} is not a version 3 value" unless value['version'] == 3 && value['cipher'] == 'aes-256-gcm'

        cipher = OpenSSL::Cipher.new('aes-256-gcm')
        cipher.decrypt
        cipher.key = Digest::SHA256.digest(secret)
        cipher.iv = Base64.decode64(value['iv'])
        cipher.auth_tag = Base64.decode64(value['auth_tag'])
        cipher.auth_data = ''
        json = cipher.update(Base64.decode64(value['encrypted_data'])) + cipher.final
        plain[key] = JSON.parse(json)['json_wrapper']
      end
    end
  end

  # A data bag item as Chef::DataBagItem has it: raw_data is the item's JSON, to_hash adds Chef's own keys.
  class DataBagItem
    attr_reader :raw_data

    def initialize(bag, raw_data)
      @bag = bag
      @raw_data = raw_data
    end

    def [](key)
      @raw_data[key]
    end

    def to_hash
      @raw_data.merge('chef_type' => 'data_bag_item', 'data_bag' => @bag)
    end
  end

  # A declared resource: properties set in its block, notifications, guards and verifications.
  class Resource
    attr_reader :type, :name, :properties, :notifications, :guards, :verifications

    def initialize(type, name)
      @type = type
      @name = name
      @properties = {}
      @notifications = []
      @guards = []
      @verifications = []
    end

    def notifies(action, target, timing = :delayed)
      @notifications << { 'action' => action.to_s, 'target' => target, 'timing' => timing.to_s }
    end

    def not_if(&block)
      @guards << block
    end

    def only_if(&block)
      @guards << block
    end

    def verify(&block)
      @verifications << block
    end

    def lazy(&block)
      block
    end

    def block(&block)
      @properties['block'] = block
    end

    # Kernel#system would otherwise answer `system true` (a property of user and group).
    def system(value)
      @properties['system'] = value
    end

    def method_missing(property, *args, &block)
      raise NoMethodError, "#{type}[#{name}]: #{property} called without a value" if args.empty? && block.nil?

      @properties[property.to_s] = args.length == 1 ? args.first : args
    end

    def respond_to_missing?(*)
      true
    end

    def to_h
      {
        'type' => type.to_s,
        'name' => name,
        'properties' => properties.transform_values { |v| v.is_a?(Proc) ? '<block>' : v },
        'notifications' => notifications,
        'guards' => guards.length,
        'verifications' => verifications.length,
      }
    end
  end

  # What a recipe file is evaluated on.
  class Recipe
    RESOURCES = %i(cookbook_file directory execute file group log notify_group package remote_file ruby_block service user).freeze

    attr_reader :cookbook_name, :node

    def initialize(cookbook_name, node, compiler)
      @cookbook_name = cookbook_name
      @node = node
      @compiler = compiler
    end

    def include_recipe(name)
      @compiler.load_recipe(name)
    end

    def data_bag_item(bag, item, secret = nil)
      raw = JSON.parse(File.read(File.join(REPO, 'data_bags', bag, "#{item}.json")))
      encrypted = raw.any? { |key, value| key != 'id' && value.is_a?(Hash) && value.key?('encrypted_data') }
      return Chef::DataBagItem.new(bag, raw) unless encrypted

      secret ||= SECRET_FILE && Chef::EncryptedDataBagItem.load_secret(SECRET_FILE)
      raise "#{bag}/#{item} is encrypted and no secret is configured" unless secret

      Chef::EncryptedDataBagItem.decrypt(raw, secret)
    end

    def method_missing(type, *args, &block)
      return super unless RESOURCES.include?(type) && args.length == 1

      resource = Chef::Resource.new(type, args.first)
      resource.instance_eval(&block) if block
      # What the cookbook_file writes, read from the cookbook as Chef does (files/default/<source>): a source that
      # is not there fails here as it would fail the Chef run.
      if type == :cookbook_file
        stored = File.join(REPO, 'cookbooks', COOKBOOK, 'files', 'default', resource.properties.fetch('source'))
        raise "cookbook_file[#{args.first}]: no #{stored} in the cookbook" unless File.file?(stored)

        resource.properties['content'] = File.binread(stored).force_encoding('UTF-8')
      end
      @compiler.resources << resource
      resource
    end

    def respond_to_missing?(type, include_private = false)
      RESOURCES.include?(type) || super
    end
  end
end

# The node: attributes by string key (Chef accepts symbols too), a name and run_state.
class FakeNode
  attr_reader :name, :run_state, :attributes

  def initialize(name)
    @name = name
    @run_state = {}
    @attributes = Hash.new { |hash, key| hash[key] = {} }
  end

  def [](key)
    @attributes[key.to_s]
  end
end

# Attribute files are evaluated with `default` as the attribute store.
class AttributeFile
  def initialize(node)
    @node = node
  end

  def default
    @node.attributes
  end
end

# Loads the cookbook as Chef's compile phase does: attributes, libraries, then recipes from the run list.
class Compiler
  attr_reader :resources

  def initialize
    @resources = []
    @loaded = []
    @node = FakeNode.new(NODE_NAME)
    @cookbook_dir = File.join(REPO, 'cookbooks', COOKBOOK)
    Dir[File.join(@cookbook_dir, 'attributes', '*.rb')].sort.each do |path|
      AttributeFile.new(@node).instance_eval(File.read(path), path, 1)
    end
    Dir[File.join(@cookbook_dir, 'libraries', '*.rb')].sort.each { |path| load path }
  end

  def load_recipe(name)
    cookbook, recipe = name.to_s.split('::')
    raise "#{name}: only #{COOKBOOK} is available" unless cookbook == COOKBOOK
    return if @loaded.include?(name.to_s)

    @loaded << name.to_s
    path = File.join(@cookbook_dir, 'recipes', "#{recipe || 'default'}.rb")
    # Chef passes the cookbook name as a Symbol.
    Chef::Recipe.new(cookbook.to_sym, @node, self).instance_eval(File.read(path), path, 1)
  end

  # Calls every verification with a candidate path and every guard, recording the commands they would run.
  def exercise
    @resources.map do |resource|
      commands = []
      resource.verifications.each do |verification|
        COMMANDS_RUN.clear
        verification.call('/candidate')
        commands.concat(COMMANDS_RUN)
      end
      resource.to_h.merge('verification_commands' => commands)
    end
  end
end

compiler = Compiler.new
compiler.load_recipe("#{COOKBOOK}::default")
puts JSON.pretty_generate(
  'loaded_recipes' => compiler.instance_variable_get(:@loaded),
  'resources' => compiler.exercise,
)
