import { describe, expect, it } from '@jest/globals';
import {
  InputError,
  boolInput,
  durationInput,
  enumInput,
  envInputReader,
  formatDuration,
  globToRegExp,
  intInput,
  ipListInput,
  listInput,
  parseDuration,
  regionInput,
  tagsInput,
} from '@nat-egress/shared/inputs';

describe('input parsing', () => {
  it('reads INPUT_ variables the way the runner names them', () => {
    const read = envInputReader({ 'INPUT_PLAN-JSON': ' plan.json ', INPUT_FAIL_ON: 'x' });
    expect(read('plan-json')).toBe('plan.json');
    expect(read('missing')).toBe('');
  });

  it('parses enums case-insensitively and names the input when the value is wrong', () => {
    expect(enumInput('fail-on', 'HIGH', ['none', 'high'] as const, 'none')).toBe('high');
    expect(enumInput('fail-on', '', ['none', 'high'] as const, 'none')).toBe('none');
    expect(() => enumInput('fail-on', 'hihg', ['none', 'high'] as const, 'none')).toThrow(
      'fail-on: "hihg" is not one of none, high',
    );
  });

  it('parses booleans and whole numbers with bounds', () => {
    expect(boolInput('build', 'TRUE', false)).toBe(true);
    expect(boolInput('build', '', false)).toBe(false);
    expect(() => boolInput('build', 'maybe', false)).toThrow(InputError);
    expect(intInput('max-applies', '3', 1, { min: 1, max: 10 })).toBe(3);
    expect(() => intInput('max-applies', '0', 1, { min: 1 })).toThrow('max-applies: 0 is below the minimum 1');
    expect(() => intInput('max-applies', '2.5', 1)).toThrow('not a whole number');
  });

  it('parses durations in the forms operators write', () => {
    expect(parseDuration('timeout', '90m')).toBe(90 * 60_000);
    expect(parseDuration('timeout', '1h30m')).toBe(90 * 60_000);
    expect(parseDuration('timeout', '45')).toBe(45_000);
    expect(parseDuration('timeout', '500ms')).toBe(500);
    expect(durationInput('wait', '', 0)).toBe(0);
    expect(() => parseDuration('timeout', '90 minutes')).toThrow('timeout: "90 minutes" is not a duration');
    expect(() => durationInput('poll-interval', '10s', 0, { maxMs: 5000 })).toThrow('longer than the maximum 5s');
    expect(formatDuration(3_723_000)).toBe('1h 2m 3s');
    expect(formatDuration(0)).toBe('0 ms');
  });

  it('parses lists, tags and IP sets in comma, newline and JSON forms', () => {
    expect(listInput('x', 'a, b\nc,,')).toEqual(['a', 'b', 'c']);
    expect(listInput('x', '["a","b"]')).toEqual(['a', 'b']);
    expect(() => listInput('x', '[1,')).toThrow('x: the JSON is truncated (it ends before the document is complete)');
    expect(tagsInput('required-tags', 'Role=cabal-nat\nName=a=b')).toEqual([
      { key: 'Role', value: 'cabal-nat' },
      { key: 'Name', value: 'a=b' },
    ]);
    expect(() => tagsInput('required-tags', 'Role')).toThrow('required-tags: "Role" is not Key=Value');
    expect(ipListInput('expected-ips', '203.0.113.1, 203.0.113.2/32\n203.0.113.1')).toEqual([
      '203.0.113.1',
      '203.0.113.2',
    ]);
    expect(
      ipListInput('expected-ips', '{"sensitive":false,"type":["list","string"],"value":["198.51.100.7"]}'),
    ).toEqual(['198.51.100.7']);
    expect(() => ipListInput('expected-ips', '203.0.113.300')).toThrow(
      'expected-ips: "203.0.113.300" is not an IPv4 address',
    );
  });

  it('expected-ips takes the whole terraform output -json document, as the README promises', () => {
    const doc = {
      relay_ips: { sensitive: false, type: ['list', 'string'], value: ['203.0.113.10', '203.0.113.11/32'] },
      vpc_id: { sensitive: false, type: 'string', value: 'vpc-0123456789abcdef0' },
      nat_mode: { sensitive: false, type: 'string', value: 'instance' },
    };
    expect(ipListInput('expected-ips', JSON.stringify(doc, null, 2))).toEqual(['203.0.113.10', '203.0.113.11']);
    // A map output (AZ → IP) and a single string output are values too.
    expect(
      ipListInput(
        'expected-ips',
        JSON.stringify({
          eips: { sensitive: false, type: ['map', 'string'], value: { a: '198.51.100.1', b: '198.51.100.2' } },
        }),
      ),
    ).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(ipListInput('expected-ips', '"198.51.100.9"')).toEqual(['198.51.100.9']);
    expect(ipListInput('expected-ips', JSON.stringify({ 'us-east-1a': '198.51.100.1' }))).toEqual(['198.51.100.1']);
    expect(() =>
      ipListInput(
        'expected-ips',
        JSON.stringify({ ...doc, bastion_ip: { sensitive: false, type: 'string', value: '192.0.2.5' } }),
      ),
    ).toThrow(
      'expected-ips: several terraform outputs hold IPv4 addresses (relay_ips, bastion_ip): pass one of them, e.g. the output of terraform output -json relay_ips',
    );
    expect(() => ipListInput('expected-ips', JSON.stringify({ vpc_id: doc.vpc_id }))).toThrow(
      'expected-ips: the terraform output document has no output holding IPv4 addresses (outputs: vpc_id)',
    );
  });

  it('a cut-short JSON input is called truncated; other bad JSON says where it stops', () => {
    expect(() => ipListInput('expected-ips', '["203.0.113.10", "203.0.113.11"')).toThrow(
      'expected-ips: the JSON is truncated (it ends before the document is complete)',
    );
    expect(() => ipListInput('expected-ips', '{"relay_ips": {"value": ["203.0.')).toThrow(
      'expected-ips: the JSON is truncated',
    );
    expect(() => listInput('probe-instances', '["i-1",')).toThrow('probe-instances: the JSON is truncated');
    expect(() => ipListInput('expected-ips', '[1,]')).toThrow(
      /^expected-ips: looks like JSON but does not parse \(Unexpected token/,
    );
  });

  it('resolves the region from the input or the environment', () => {
    expect(regionInput('region', '', { AWS_REGION: 'eu-west-1' })).toBe('eu-west-1');
    expect(regionInput('region', 'us-east-1', {})).toBe('us-east-1');
    expect(() => regionInput('region', '', {})).toThrow('region: not set');
    expect(() => regionInput('region', 'mars', {})).toThrow('is not an AWS region name');
  });

  it('turns globs into anchored expressions', () => {
    expect(globToRegExp('cabal-nat-*').test('cabal-nat-0')).toBe(true);
    expect(globToRegExp('cabal-nat-*').test('x-cabal-nat-0')).toBe(false);
    expect(globToRegExp('a.b?').test('a.bc')).toBe(true);
    expect(globToRegExp('a.b?').test('axbc')).toBe(false);
  });
});
