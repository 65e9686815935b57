#!/usr/bin/env bash
# Entrypoint of the MongoDB stand-in image, keeping the official image's contract (written
# for this project after reading docker-library/mongo's docker-entrypoint.sh):
#   - arguments starting with "-" are mongod options: `mongod` is put in front;
#   - MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD (or their *_FILE variants),
#     both or neither: with both, the root user is created in `admin` and mongod gets --auth;
#   - on an empty data directory only, a temporary server on 127.0.0.1:27017 runs every
#     /docker-entrypoint-initdb.d/*.js through mongosh against MONGO_INITDB_DATABASE
#     (default `test`) and sources every *.sh, in name order, then stops;
#   - without --bind_ip or --bind_ip_all the server listens on all interfaces;
#   - the MONGO_INITDB_* variables are not passed on to the server.
# Differences, because FerretDB is not mongod: "empty" means no *.sqlite file in the data
# directory (FerretDB's SQLite backend keeps one per database), and with a root user the
# init scripts run authenticated as that user (FerretDB's authentication has no unauthenticated
# bootstrap mode; the official image runs them on a server without --auth), and createUser
# drops the roles it is given (initdb-prelude.js: FerretDB stores and enforces none).
set -Eeuo pipefail

if [[ ${1:-} == -* ]]; then
    set -- mongod "$@"
fi

# VAR from $VAR or from the file named by $VAR_FILE, never both.
file_env() {
    local var=$1 file_var="${1}_FILE"
    if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
        echo "error: both $var and $file_var are set (but are exclusive)" >&2
        exit 1
    fi
    if [[ -n ${!file_var:-} ]]; then
        export "$var"="$(<"${!file_var}")"
    fi
    unset "$file_var"
}

has_option() {
    local wanted=$1 arg
    shift
    for arg; do
        [[ $arg == "$wanted" || $arg == "$wanted"=* ]] && return 0
    done
    return 1
}

option_value() {
    local wanted=$1
    shift
    while (($#)); do
        case $1 in
            "$wanted") echo "${2:-}"; return 0 ;;
            "$wanted"=*) echo "${1#*=}"; return 0 ;;
        esac
        shift
    done
    return 1
}

# The arguments without the given options (and the values of those that take one).
without_options() {
    local -a keep=()
    local flags=$1 valued=$2
    shift 2
    while (($#)); do
        local name=${1%%=*}
        if [[ " $valued " == *" $name "* ]]; then
            [[ $1 == *=* ]] || shift
        elif [[ " $flags " != *" $1 "* ]]; then
            keep+=("$1")
        fi
        shift
    done
    printf '%s\0' "${keep[@]}"
}

has_data() {
    local file
    for file in "$1"/*.sqlite; do
        [[ -e $file ]] && return 0
    done
    return 1
}

run_initdb() {
    local -a temporary
    mapfile -d '' temporary < <(without_options "--auth --bind_ip_all" "--bind_ip --port" "$@")
    temporary+=(--bind_ip 127.0.0.1 --port 27017)
    local -a shell=(mongosh --host 127.0.0.1 --port 27017 --quiet --norc)
    if [[ -n $MONGO_INITDB_ROOT_USERNAME ]]; then
        # FerretDB creates this user (SCRAM credentials in admin.system.users) at start-up.
        temporary+=(--auth)
        export FERRETDB_SETUP_DATABASE=admin
        export FERRETDB_SETUP_USERNAME=$MONGO_INITDB_ROOT_USERNAME
        export FERRETDB_SETUP_PASSWORD=$MONGO_INITDB_ROOT_PASSWORD
        shell+=(--username "$MONGO_INITDB_ROOT_USERNAME" --password "$MONGO_INITDB_ROOT_PASSWORD"
            --authenticationDatabase admin)
    fi
    "${temporary[@]}" &
    local pid=$!
    unset FERRETDB_SETUP_DATABASE FERRETDB_SETUP_USERNAME FERRETDB_SETUP_PASSWORD

    local tries=30
    until "${shell[@]}" admin --eval 'quit(0)' &>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "error: $1 does not appear to have stayed running -- perhaps it had an error?" >&2
            exit 1
        fi
        if ((--tries <= 0)); then
            echo "error: $1 did not accept connections within 30 attempts" >&2
            kill "$pid"
            exit 1
        fi
        sleep 1
    done

    export MONGO_INITDB_DATABASE=${MONGO_INITDB_DATABASE:-test}
    echo
    local script prelude=/usr/local/lib/mongo-standin/initdb-prelude.js
    for script in /docker-entrypoint-initdb.d/*; do
        case $script in
            *.sh) echo "$0: running $script"; . "$script" ;;
            *.js)
                echo "$0: running $script"
                "${shell[@]}" "$MONGO_INITDB_DATABASE" "$prelude" "$script"
                echo
                ;;
            *) [[ -e $script ]] && echo "$0: ignoring $script" ;;
        esac
    done

    kill -TERM "$pid"
    wait "$pid" || true
    echo
    echo 'MongoDB init process complete; ready for start up.'
    echo
}

if [[ ${1:-} == mongod ]]; then
    file_env MONGO_INITDB_ROOT_USERNAME
    file_env MONGO_INITDB_ROOT_PASSWORD
    : "${MONGO_INITDB_ROOT_USERNAME:=}" "${MONGO_INITDB_ROOT_PASSWORD:=}"

    initdb=
    if [[ -n $MONGO_INITDB_ROOT_USERNAME && -n $MONGO_INITDB_ROOT_PASSWORD ]]; then
        has_option --auth "$@" || set -- "$@" --auth
        initdb=root
    elif [[ -n $MONGO_INITDB_ROOT_USERNAME || -n $MONGO_INITDB_ROOT_PASSWORD ]]; then
        echo "error: missing 'MONGO_INITDB_ROOT_USERNAME' or 'MONGO_INITDB_ROOT_PASSWORD'" >&2
        echo "       both must be specified for a user to be created" >&2
        exit 1
    else
        for script in /docker-entrypoint-initdb.d/*.sh /docker-entrypoint-initdb.d/*.js; do
            [[ -e $script ]] && initdb=scripts && break
        done
    fi

    dbpath=$(option_value --dbpath "$@") || dbpath=/data/db
    if [[ -n $initdb ]] && ! has_data "$dbpath"; then
        run_initdb "$@"
    fi

    if ! has_option --bind_ip "$@" && ! has_option --bind_ip_all "$@"; then
        set -- "$@" --bind_ip_all
    fi
    unset "${!MONGO_INITDB_@}"
fi

exec "$@"
