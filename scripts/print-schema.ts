import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { printSchemaFile } from '../src/schema';

/** `npm run schema`: writes schema.graphql from the TypeGraphQL classes. Commit the result. */
async function main() {
  const target = path.resolve(__dirname, '..', 'schema.graphql');
  writeFileSync(target, await printSchemaFile());
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
