import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Every relative link of README.md and docs/*.md leads somewhere: to a file or folder of the
 * repository and, where it names an anchor, to a heading of that page, as GitHub makes the anchor.
 * Moving a section breaks its links here, not in a reader's browser.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const PAGES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The page's lines outside fenced code blocks. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2, … */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Relative links of a page: [text](target), outside code. */
function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const line of prose(markdown)) {
    const text = line.replace(/`[^`]*`/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push(target);
    }
  }
  return links;
}

function broken(page: string, target: string): string | null {
  const [file, anchor] = target.split('#');
  const resolved = file
    ? path.resolve(path.dirname(path.join(ROOT, page)), decodeURIComponent(file))
    : path.join(ROOT, page);
  if (!resolved.startsWith(ROOT + path.sep)) return 'leaves the repository';
  if (!existsSync(resolved)) return 'no such file';
  if (anchor === undefined) return null;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md'))
    return 'an anchor into something that is not a page';
  return anchors(readFileSync(resolved, 'utf8')).has(anchor) ? null : 'no such heading';
}

describe('links of the README and docs/', () => {
  it.each(PAGES)('%s: every relative link leads to a file and heading that exist', (page) => {
    const links = relativeLinks(readFileSync(path.join(ROOT, page), 'utf8'));
    const problems = links
      .map((target) => ({ target, problem: broken(page, target) }))
      .filter((l) => l.problem);
    expect(problems).toEqual([]);
  });

  it('the README links every page of docs/', () => {
    const readme = relativeLinks(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).map(
      (target) => target.split('#')[0],
    );
    expect(PAGES.filter((page) => page !== 'README.md' && !readme.includes(page))).toEqual([]);
  });

  it('GitHub anchors are made as GitHub makes them', () => {
    expect([
      ...anchors(
        "# A title\n## What the chain can't catch\n## 9. AuditLog\n## `/metrics`\n```\n# not a heading\n```\n## A title",
      ),
    ]).toEqual(['a-title', 'what-the-chain-cant-catch', '9-auditlog', 'metrics', 'a-title-1']);
  });
});
