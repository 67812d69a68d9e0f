import { buildSchema, parse } from 'graphql';
import { CompiledOperations } from '../../src/graphql/compiled-executor';

/**
 * Compiled operations are kept by their document's hash and name, up to a capacity: a hit costs a
 * flag, and when the store is full the oldest operation not used since it was last passed goes,
 * so the operations a server runs all the time stay compiled.
 */
describe('the store of compiled operations', () => {
  const schema = buildSchema('type Query { a: Int b: Int c: Int d: Int }');
  const operation = (field: string) => ({ hash: field, document: parse(`{ ${field} }`) });

  it('compiles an operation once, and keeps the ones in use when full', () => {
    const store = new CompiledOperations(schema, 3);
    const get = (field: string) => {
      const { hash, document } = operation(field);
      return store.of(hash, document, null);
    };
    const [a, b, c] = ['a', 'b', 'c'].map(get);
    expect(get('a')).toBe(a); // a hit: the same compiled operation
    expect(get('c')).toBe(c);
    get('d'); // full: b, the only one not used since, goes
    expect(store.size).toBe(3);
    expect(get('a')).toBe(a);
    expect(get('c')).toBe(c);
    expect(get('b')).not.toBe(b); // compiled again
    expect(store.size).toBe(3);
  });

  it('tells operations of one document apart by name', () => {
    const store = new CompiledOperations(schema, 10);
    const document = parse('query One { a } query Two { b }');
    const one = store.of('h', document, 'One');
    const two = store.of('h', document, 'Two');
    expect(one).not.toBe(two);
    expect(store.of('h', document, 'One')).toBe(one);
  });
});
