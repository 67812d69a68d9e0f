import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/database';
import { exitWith } from '../src/db/exit-with';
import { UNGATED } from '../src/capacity/heavy-work';
import { OperationLeases } from '../src/capacity/leases';
import { ChainVerifier } from '../src/modules/audit/chain-verifier';
import { SECURITY_LOG_CHAIN, teamChain } from '../src/modules/audit/chain-walk';

// A check of the same chain running in the service holds its lease: wait for it rather than fail.
const WAIT_FOR_RUNNING_CHECK_MS = 120_000;

/** The name that stands for the platform security log among the chains to check. */
const SECURITY = 'security';

/**
 * `npm run audit:verify [teamId | security ...]`: walks the hash chain of every team, of the
 * platform and of the security log (or of the chains named), prints one line per chain, and
 * exits 1 if any chain is broken.
 * Uses DATABASE_URL, or the embedded database in DATA_DIR when the service is not running.
 * A chain that was archived (npm run audit:archive) is walked from its archived head.
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const database = await openDatabase(config, (line) => console.error(line));
  try {
    const chains = new ChainVerifier(
      database.dataSource,
      UNGATED,
      new OperationLeases(database.dataSource),
    );
    const named = process.argv.slice(2);
    const teams: (string | null)[] = named.length
      ? named
      : [
          null,
          ...(
            await database.dataSource.query<{ id: string }[]>(
              `SELECT id FROM teams ORDER BY created_at`,
            )
          ).map((r) => r.id),
          SECURITY,
        ];
    let broken = 0;
    for (const teamId of teams) {
      const chain = teamId === SECURITY ? SECURITY_LOG_CHAIN : teamChain(teamId);
      const report = await chains.verify(chain, { waitMs: WAIT_FOR_RUNNING_CHECK_MS });
      const name = teamId === SECURITY ? 'security log' : (teamId ?? 'platform');
      const archived = report.archivedThroughPosition
        ? ` after archived position ${report.archivedThroughPosition}`
        : '';
      if (report.valid) {
        console.log(`ok      ${name}: ${report.checkedEvents} events${archived}`);
      } else {
        broken++;
        console.log(
          `BROKEN  ${name}: at position ${report.firstBrokenPosition ?? '?'}` +
            `${report.firstBrokenEventId ? ` (event ${report.firstBrokenEventId})` : ''}: ${report.reason}`,
        );
      }
    }
    console.log(
      broken ? `${broken} of ${teams.length} chains broken` : `all ${teams.length} chains intact`,
    );
    return broken ? 1 : 0;
  } finally {
    await database.close();
  }
}

exitWith(main);
