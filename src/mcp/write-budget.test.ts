import { describe, expect, it } from 'vitest';
import { authorOf, clientText } from './text.js';
import { WriteBudget } from './write-budget.js';

describe('the MCP write budget', () => {
  it('allows perMinute writes in any 60 s, refuses the next with CONFLICT, and frees them as they age', () => {
    let now = 1_000_000;
    const budget = new WriteBudget(3, () => now);
    budget.take();
    now += 10_000;
    budget.take();
    budget.take();
    expect(() => budget.take()).toThrow(/too many changes from MCP clients \(3 a minute\); nothing was written/);
    now += 50_001; // the first write is now older than a minute
    expect(() => budget.take()).not.toThrow();
    expect(() => budget.take()).toThrow(/too many changes/);
  });
});

describe('what MCP client text becomes', () => {
  it.each([
    ['Claude Desktop', 'mcp:claude-desktop'],
    ['cursor', 'mcp:cursor'],
    ['Visual Studio Code', 'mcp:visual-studio-code'],
    ['../../etc\u0000passwd\u001b[2J', 'mcp:etc-passwd-2j'],
    ['', 'mcp:unknown-client'],
    [undefined, 'mcp:unknown-client'],
    ['x'.repeat(200), `mcp:${'x'.repeat(48)}`],
  ])('the author of client %j is %s', (name, author) => {
    expect(authorOf(name)).toBe(author);
  });

  it('keeps newlines and tabs of a note, removes other control characters, trims and caps it', () => {
    expect(clientText('  line one\n\tline two\u001b[31m red\u0007\u009b  ', 100)).toBe('line one\n\tline two[31m red');
    expect(clientText('abcdef', 3)).toBe('abc');
  });
});
