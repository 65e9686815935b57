// Loaded by docker-entrypoint.sh before each /docker-entrypoint-initdb.d/*.js, in the same
// mongosh context. FerretDB 1.24 keeps users (SCRAM credentials) but no roles: it refuses
// createUser with a non-empty `roles` and lets every authenticated user do everything. The
// official image's init scripts grant roles, so this stand-in creates the user without them,
// and says so, rather than failing the script.
const createUserWithRoles = Object.getPrototypeOf(db).createUser;
Object.getPrototypeOf(db).createUser = function createUser(user, writeConcern) {
  if (Array.isArray(user.roles) && user.roles.length > 0) {
    print(
      `mongo stand-in: user ${user.user} created without its roles ` +
        `${JSON.stringify(user.roles)}: FerretDB does not store or enforce roles`,
    );
  }
  return createUserWithRoles.call(this, { ...user, roles: [] }, writeConcern);
};
