// Connection settings for `npx sequelize-cli` (see .sequelizerc). The app does not read this file.
const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/shop';
const common = { url, dialect: 'postgres', seederStorage: 'sequelize', seederStorageTableName: 'SequelizeData' };
module.exports = { development: common, test: { ...common, url: process.env.TEST_DATABASE_URL || url }, production: common };
