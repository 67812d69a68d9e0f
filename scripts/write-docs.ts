import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { WALKTHROUGH_DOC, walkthroughMarkdown } from './walkthrough-doc';

/** `npm run docs`: writes docs/walkthrough.md from the playground's walkthrough. Commit the result. */
function main() {
  writeFileSync(WALKTHROUGH_DOC, walkthroughMarkdown());
  console.log(`wrote ${path.relative(process.cwd(), WALKTHROUGH_DOC)}`);
}

main();
