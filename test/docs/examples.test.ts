import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, validate, type GraphQLSchema } from 'graphql';
import { buildBareSchema } from '../../src/schema';

/**
 * The GraphQL a reader copies from the README and docs/ runs on the schema the service serves:
 * every ```graphql block, and every query sent with `curl -d '{"query": …}'` in a ```sh block.
 * A renamed field or argument fails here rather than on a reader's screen.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const PAGES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

function blocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp('^```' + language + '\\n([\\s\\S]*?)^```', 'gm'))].map(
    (m) => m[1],
  );
}

/** The documents of `curl … -d '<json>'` lines; a shell variable spliced in ('"$TEAM"') stands as its name. */
function curlDocuments(sh: string): string[] {
  const joined = sh.replace(/\\\n\s*/g, ' ');
  return [...joined.matchAll(/-d '(\{.*?\})'(?:\s|$)/g)].map((m) => {
    const body = JSON.parse(m[1].replace(/'"\$(\w+)"'/g, '$1')) as { query: string };
    return body.query;
  });
}

function examples(): { page: string; document: string }[] {
  return PAGES.flatMap((page) => {
    const markdown = readFileSync(path.join(ROOT, page), 'utf8');
    return [...blocks(markdown, 'graphql'), ...blocks(markdown, 'sh').flatMap(curlDocuments)].map(
      (document) => ({ page, document }),
    );
  });
}

describe('GraphQL examples of the README and docs/', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildBareSchema();
  });

  it('there are examples to check, in the README and in the docs', () => {
    const found = examples();
    expect(found.filter((e) => e.page === 'README.md').length).toBeGreaterThanOrEqual(5);
    expect(found.length).toBeGreaterThan(15);
  });

  it('every example validates against the schema', () => {
    const problems = examples()
      .map(({ page, document }) => ({
        page,
        document,
        errors: validate(schema, parse(document)).map((e) => e.message),
      }))
      .filter((e) => e.errors.length);
    expect(problems).toEqual([]);
  });
});
