import { describe, expect, it } from 'vitest';
import { selectSections, splitStatements } from '../../../src/db/migrate.js';
import { DatabaseError } from '../../../src/errors.js';

const text = `CREATE TABLE a (x int);
-- @if partitioning
CREATE TABLE b (x int) PARTITION BY RANGE (x);
-- @else
CREATE TABLE b (x int);
-- @end
CREATE INDEX a_x ON a (x);
`;

describe('migration sections', () => {
  it('keeps the statements of the capabilities the backend has, and the fallback otherwise', () => {
    expect(splitStatements(selectSections(text, { partitioning: true }))).toEqual([
      'CREATE TABLE a (x int)',
      'CREATE TABLE b (x int) PARTITION BY RANGE (x)',
      'CREATE INDEX a_x ON a (x)',
    ]);
    expect(splitStatements(selectSections(text, { partitioning: false }))).toEqual([
      'CREATE TABLE a (x int)',
      'CREATE TABLE b (x int)',
      'CREATE INDEX a_x ON a (x)',
    ]);
  });

  it('refuses nested sections', () => {
    expect(() => selectSections('-- @if a\n-- @if b\n-- @end\n-- @end\n', { a: true })).toThrow(
      DatabaseError,
    );
  });
});
