import { describe, expect, it } from 'vitest';
import { ruleKeys } from '../../src/hostnames/rule-key.js';

describe('ruleKeys', () => {
  it('is the service, plus path= when the rule has a path', () => {
    expect(ruleKeys([{ service: 'ssh://localhost:22' }, { service: 'http://localhost:8080', path: '^/api' }])).toEqual([
      'ssh://localhost:22',
      'http://localhost:8080 path=^/api',
    ]);
  });

  it('numbers repeated keys within a host in rule order', () => {
    expect(
      ruleKeys([{ service: 'http://localhost:80' }, { service: 'ssh://localhost:22' }, { service: 'http://localhost:80' }, { service: 'http://localhost:80' }]),
    ).toEqual(['http://localhost:80', 'ssh://localhost:22', 'http://localhost:80 #2', 'http://localhost:80 #3']);
  });

  it('treats an empty path as no path', () => {
    expect(ruleKeys([{ service: 'ssh://localhost:22', path: '' }])).toEqual(['ssh://localhost:22']);
  });

  it('keeps keys distinct when a path already ends in a rule number', () => {
    const keys = ruleKeys([{ service: 'http://a', path: '/x #2' }, { service: 'http://a', path: '/x' }, { service: 'http://a', path: '/x' }]);
    expect(keys).toEqual(['http://a path=/x #2', 'http://a path=/x', 'http://a path=/x #3']);
    expect(new Set(keys).size).toBe(3);
  });
});
