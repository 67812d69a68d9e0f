import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/database';
import { exitWith } from '../src/db/exit-with';
import { archiveChain } from '../src/modules/audit/chain-archive';
import { isUuid } from '../src/validation';

const USAGE = 'usage: npm run audit:archive -- <teamId> --before <ISO time> --out <file>';

function parseArgs(argv: string[]): { teamId: string; before: Date; out: string } | string {
  const [teamId, ...rest] = argv;
  const options: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    if (!['--before', '--out'].includes(rest[i]) || rest[i + 1] === undefined) return USAGE;
    options[rest[i]] = rest[i + 1];
  }
  if (!teamId || !isUuid(teamId)) return `${USAGE}\nteamId must be a team's id`;
  const before = new Date(options['--before'] ?? '');
  if (Number.isNaN(before.getTime())) return `${USAGE}\n--before must be an ISO 8601 time`;
  if (!options['--out']) return USAGE;
  return { teamId: teamId.toLowerCase(), before, out: options['--out'] };
}

/**
 * `npm run audit:archive -- <teamId> --before <ISO time> --out <file>`: moves the events of a
 * team's chain that happened before that time into an NDJSON file (the rows of an export),
 * records the archived head (position, hash, the file's SHA-256) and deletes the archived rows;
 * later checks start from that head. Runs as the owner of the tables (DATABASE_URL): the service's
 * own role can't delete audit rows. Exit 0: archived, or nothing to archive; 1: the chain is broken
 * (nothing archived); 2: it could not run.
 */
async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    console.error(args);
    return 2;
  }
  const database = await openDatabase(loadConfig(), (line) => console.error(line));
  try {
    const outcome = await archiveChain(database.dataSource, args.teamId, args.before, args.out);
    switch (outcome.kind) {
      case 'nothing':
        console.log(`nothing archived: ${outcome.reason}`);
        return 0;
      case 'broken':
        console.log(
          `BROKEN  ${args.teamId}: at position ${outcome.position}: ${outcome.reason}; nothing archived`,
        );
        return 1;
      default:
        console.log(
          `archived ${outcome.events} events of ${args.teamId} through position ${outcome.through.seq} (hash ${outcome.through.hash}) ` +
            `to ${args.out} (sha256 ${outcome.fileSha256})`,
        );
        return 0;
    }
  } finally {
    await database.close();
  }
}

exitWith(main);
