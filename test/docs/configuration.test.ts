import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

/**
 * docs/configuration.md lists every variable src/config.ts reads, with its default and range:
 * none missing, none stale. The variables read are learnt by running loadConfig() on an
 * environment that notes each name asked for, so a variable added to config.ts fails here until
 * the table has it.
 */
const DOC = path.resolve(__dirname, '..', '..', 'docs', 'configuration.md');

interface Row {
  name: string;
  defaultCell: string;
  what: string;
}

function tableRows(): Row[] {
  return readFileSync(DOC, 'utf8')
    .split('\n')
    .map((line) => /^\| `([A-Z][A-Z0-9_]*)` \| (.*?) \| (.*) \|$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([, name, defaultCell, what]) => ({ name, defaultCell, what }));
}

/** The message loadConfig() stops with when `name` is set to `value`. */
function refusal(name: string, value: string): string | undefined {
  try {
    loadConfig({ [name]: value });
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}

function variablesRead(): string[] {
  const read = new Set<string>();
  const env = new Proxy(
    {},
    {
      get: (_target, name) => {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    },
  );
  loadConfig(env);
  return [...read];
}

describe('docs/configuration.md', () => {
  const rows = tableRows();

  it('lists exactly the variables src/config.ts reads, each once', () => {
    const documented = rows.map((row) => row.name);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(variablesRead().sort());
  });

  it('gives the default each variable really has: setting it to that value changes nothing', () => {
    const defaults = loadConfig({});
    const literal = rows.filter((row) => /^`[^`]+`$/.test(row.defaultCell));
    expect(literal.length).toBeGreaterThan(25);
    for (const { name, defaultCell } of literal) {
      const value = defaultCell.slice(1, -1);
      expect({ name, config: loadConfig({ [name]: value }) }).toEqual({ name, config: defaults });
    }
  });

  it('gives the range of every whole-number variable as src/config.ts checks it', () => {
    const wholeNumbers = rows.filter(
      (row) => refusal(row.name, 'not a number') === `${row.name} must be a whole number`,
    );
    expect(wholeNumbers.length).toBeGreaterThan(20);
    for (const { name, what } of wholeNumbers) {
      const [, min, max] = /\((\d+)–(\d+)/.exec(what) ?? [];
      expect({ name, documented: `${min}–${max}` }).toEqual({
        name,
        documented: expect.stringMatching(/^\d+–\d+$/),
      });
      expect(refusal(name, '99999999999')).toBe(`${name} must be between ${min} and ${max}`);
    }
  });
});
