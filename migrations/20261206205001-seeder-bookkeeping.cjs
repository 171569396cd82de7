'use strict';
/**
 * Seeders run by the app were recorded in `SequelizeMeta` (umzug's storage reused the migrations' model)
 * instead of `SequelizeData`, where sequelize-cli (`seederStorageTableName`) and the app now look. Move those
 * rows, so that neither tool runs a seeder a second time (a second demo catalogue). The names are the files in
 * seeders/; a name already in `SequelizeData` is kept once.
 */
const fs = require('node:fs');
const path = require('node:path');

const seederNames = () => fs.readdirSync(path.join(__dirname, '..', 'seeders')).filter((f) => f.endsWith('.cjs'));

module.exports = {
  async up(queryInterface) {
    const names = seederNames();
    await queryInterface.sequelize.query(`CREATE TABLE IF NOT EXISTS "SequelizeData" (name varchar(255) NOT NULL PRIMARY KEY)`);
    if (names.length === 0) return;
    await queryInterface.sequelize.query(
      `WITH moved AS (DELETE FROM "SequelizeMeta" WHERE name IN (:names) RETURNING name)
       INSERT INTO "SequelizeData" (name) SELECT name FROM moved ON CONFLICT (name) DO NOTHING`,
      { replacements: { names } },
    );
  },
  async down(queryInterface) {
    const names = seederNames();
    if (names.length === 0) return;
    await queryInterface.sequelize.query(
      `INSERT INTO "SequelizeMeta" (name) SELECT name FROM "SequelizeData" WHERE name IN (:names) ON CONFLICT (name) DO NOTHING`,
      { replacements: { names } },
    );
  },
};
