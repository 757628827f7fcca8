import {
  Table,
  TableForeignKey,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import { IDENTITIES_TABLE, USERS_TABLE } from '../user-tables';

/** The users and their provider identities, in types every driver has. */
export class LivegateCreateUsers1764806400000 implements MigrationInterface {
  readonly name = 'LivegateCreateUsers1764806400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: USERS_TABLE,
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'username', type: 'varchar', length: '256' },
          { name: 'username_normalized', type: 'varchar', length: '256', isUnique: true },
          { name: 'display_name', type: 'varchar', length: '512' },
          { name: 'password_hash', type: 'varchar', length: '512', isNullable: true },
          { name: 'disabled', type: 'boolean', default: false },
          { name: 'claims', type: 'text' },
          { name: 'claims_version', type: 'integer', default: 0 },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: IDENTITIES_TABLE,
        columns: [
          { name: 'issuer', type: 'varchar', length: '512', isPrimary: true },
          { name: 'subject', type: 'varchar', length: '256', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
        ],
      }),
    );
    await runner.createIndex(
      IDENTITIES_TABLE,
      new TableIndex({ name: 'livegate_user_identities_user', columnNames: ['user_id'] }),
    );
    await runner.createForeignKey(
      IDENTITIES_TABLE,
      new TableForeignKey({
        columnNames: ['user_id'],
        referencedTableName: USERS_TABLE,
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable(IDENTITIES_TABLE);
    await runner.dropTable(USERS_TABLE);
  }
}
