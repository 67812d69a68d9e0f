import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * An entity from a row of a written-out statement (its columns, or `to_jsonb(t)` in a statement
 * that also fetched other things), with its columns converted as TypeORM converts them when it
 * loads the entity itself (timestamps to Dates, and so on). Lets one statement bring back several
 * kinds of rows, without the query builder's cost.
 */
export function hydrate<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  row: Record<string, unknown>,
): T {
  const metadata = dataSource.getMetadata(entity);
  const target = metadata.create() as T;
  for (const column of metadata.columns) {
    const value = row[column.databaseName];
    column.setEntityValue(target, dataSource.driver.prepareHydratedValue(value, column));
  }
  return target;
}
