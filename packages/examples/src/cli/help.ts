const EXIT_CODES = `Exit codes: 0 ok, 1 the operation failed, 2 usage error.`;

const BACKEND = `  --backend <name>       sim (default) or native-win (Windows only: the real Winsock API;
                         --realm, --machine and --user apply to the sim only)`;

const POLICIES = `  --mm-policy <guid>     main-mode policy of the realm (ipsec.mainModePolicyKey); one with
                         authentication machine,user makes the peer authenticate its user too
  --qm-policy <guid>     quick-mode policy of the realm (ipsec.quickModePolicyKey)
`;

/** `--help` text of every command, keyed by the command as typed. */
export const HELP: Readonly<Record<string, string>> = {
  '': `wsasec — secure sockets with IPsec (Winsock Secure Socket Extensions) from the command line

Usage: wsasec <command> [options]

Commands:
  demo                   run the demo on the embedded sim (no setup)
  realm init <file>      create a sim realm file
  realm add-user …       add a user to a realm file
  realm add-group …      add a group to a realm file
  realm add-machine …    add a machine to a realm file
  realm add-policy …     add an IPsec main-mode or quick-mode policy to a realm file
  realm show <file>      list a realm's principals, SIDs and policies
  serve                  run a secure HTTP echo server
  get <url>              make a secured HTTP request and print the response (curl for IPsec)
  tunnel server …        accept secured connections and forward them to a plain TCP service
  tunnel client …        accept plain TCP locally and carry it over secured connections

Every command takes --help. ${EXIT_CODES}
`,

  demo: `Usage: wsasec demo [--color | --no-color]

Runs the demo on the embedded sim: realm CONTOSO, an HTTP server on server.contoso.com that
requires encryption, requests through SecureAgent as alice (in Payroll) and bob (not), and a
man-in-the-middle attempt by rogue.contoso.com. Prints one line per step.

Options:
  --color / --no-color   force colours on or off (default: on for a colour terminal only)

${EXIT_CODES}
A step that did not behave as it should makes the demo a failed operation (exit 1).
`,

  realm: `Usage: wsasec realm <init|add-user|add-group|add-machine|add-policy|show> <file> …

Manages a sim realm file (JSON with the realm's keys: keep it private). Run
"wsasec realm <subcommand> --help" for each.

${EXIT_CODES}
`,

  'realm init': `Usage: wsasec realm init <file> [--domain NAME] [--dns-domain NAME] [--force]

Creates a realm file with a fresh domain SID and CA key.

Options:
  --domain <name>        NetBIOS domain name (default CONTOSO)
  --dns-domain <name>    DNS domain name (default contoso.com)
  --force                overwrite an existing file

${EXIT_CODES}
`,

  'realm add-user': `Usage: wsasec realm add-user <file> <name> [--password <password>] [--group NAME]…

Adds a user (member of Domain Users, and of each --group, which must exist). A process runs as
the user with --user NAME (or WSASEC_SIM_USER); the password is only needed for explicit
credentials (ipsec.credentials in the security settings).

Options:
  --password <password>  the user's password (stored as an scrypt verifier)
  --group <name>         a group to join; repeat for several

${EXIT_CODES}
`,

  'realm add-group': `Usage: wsasec realm add-group <file> <name>

Adds a group; its SID is printed (use it in SDDL strings).

${EXIT_CODES}
`,

  'realm add-machine': `Usage: wsasec realm add-machine <file> <fqdn>

Adds a machine (SPN host/<fqdn>, member of Domain Computers).

${EXIT_CODES}
`,

  'realm add-policy': `Usage: wsasec realm add-policy <file> --mode quick --protection integrity|encryption
                                [--key GUID] [--lifetime-seconds N] [--lifetime-bytes N]
       wsasec realm add-policy <file> --mode main --authentication machine|machine,user [--key GUID]

Adds an IPsec policy that settings select by key (ipsec.quickModePolicyKey / mainModePolicyKey).
Prints the policy key (a fresh GUID unless --key is given).

Options:
  --mode <mode>              quick (protection of the traffic) or main (authentication)
  --protection <kind>        quick mode: integrity (signed only) or encryption
  --lifetime-seconds <n>     quick mode: rekey after this many seconds
  --lifetime-bytes <n>       quick mode: rekey after this many bytes
  --authentication <list>    main mode: machine, or machine,user
  --key <guid>               the policy key (default: a new GUID)

${EXIT_CODES}
`,

  'realm show': `Usage: wsasec realm show <file>

Lists the realm's domain, users, groups and machines with their SIDs, and its policies.

${EXIT_CODES}
`,

  serve: `Usage: wsasec serve --realm FILE --machine FQDN [--port N] [--host IP] [--require-encryption]
                    [--mm-policy GUID] [--qm-policy GUID]

A secure HTTP echo server: every request is answered with JSON naming the peer user and machine
the server authenticated, whether the connection is encrypted, and the request (method, path,
body). Runs until interrupted (Ctrl-C). Prints "listening on http://HOST:PORT" when ready.

Options:
${BACKEND}
  --realm <file>         sim realm file
  --machine <fqdn>       the machine this server runs as (a machine of the realm)
  --user <name>          the user this server runs as (default: the machine account)
  --host <ip>            address to listen on (default 127.0.0.1)
  --port <n>             port to listen on (default 0: any free port)
  --require-encryption   refuse connections that cannot be encrypted (guaranteeEncryption)
${POLICIES}
${EXIT_CODES}
`,

  get: `Usage: wsasec get <url> --realm FILE --machine FQDN [--user NAME] [--target NAME]
                  [--require-encryption] [--mm-policy GUID] [--qm-policy GUID] [-v]

Makes one HTTP request over a connection secured with IPsec and prints the response body.
With -v, prints the negotiated security (protection, SA ids, the server's proven identity) and
the response status and headers to stderr.

Options:
${BACKEND}
  --realm <file>         sim realm file
  --machine <fqdn>       the machine this client runs as
  --user <name>          the user this client runs as (default: the machine account)
  --target <name>        peer target name the server must prove (default host/<url host>)
  -X, --method <method>  HTTP method (default GET; POST when --data is given)
  -d, --data <text>      request body
  --require-encryption   refuse a connection that cannot be encrypted (guaranteeEncryption)
${POLICIES}  --timeout <ms>         bound of the whole request (default 10000)
  -v, --verbose          print the negotiated security and the response head to stderr

${EXIT_CODES}
An HTTP status of 400 or more is a failed operation (exit 1); the body is still printed.
`,

  tunnel: `Usage: wsasec tunnel server --listen HOST:PORT --forward HOST:PORT [options]
       wsasec tunnel client --listen HOST:PORT --connect HOST:PORT --target NAME [options]

Secures an existing TCP protocol (Redis, PostgreSQL, …) without changing the application, as
stunnel or spiped do for TLS: the client end accepts plain TCP locally and carries each connection
over a secured connection to the server end, which forwards it to the plain service. Run
"wsasec tunnel server --help" and "wsasec tunnel client --help" for the options.

${EXIT_CODES}
`,

  'tunnel server': `Usage: wsasec tunnel server --listen HOST:PORT --forward HOST:PORT --realm FILE --machine FQDN
                            [--require-encryption] [--mm-policy GUID] [--qm-policy GUID]
                            [--require-user] [--allow SDDL [--access MASK]]

Accepts secured connections only, checks the peer, and forwards each connection to the plain TCP
service at --forward, both ways (half-close and backpressure kept). A refused peer is closed
before any byte reaches the service. Prints "tunnel server listening on HOST:PORT" when ready,
then a line per connection: its peer machine and user when opened, the bytes each way when
closed, and why a peer was refused. Runs until interrupted (Ctrl-C, SIGTERM): then closes the
listener and every open connection and exits 0.

Options:
${BACKEND}
  --realm <file>         sim realm file
  --machine <fqdn>       the machine this end runs as (a machine of the realm)
  --user <name>          the user this end runs as (default: the machine account)
  --listen <host:port>   where to accept secured connections (port 0: any free port)
  --forward <host:port>  the plain TCP service (e.g. 127.0.0.1:6379)
  --require-encryption   refuse connections that cannot be encrypted (guaranteeEncryption)
${POLICIES}  --require-user         refuse a peer that proved no user (use a main-mode policy with
                         authentication machine,user)
  --allow <sddl>         access check of the peer's token (its user, else its machine) against
                         this security descriptor, e.g. "D:(A;;GR;;;<group SID>)"
  --access <mask>        the rights --allow must grant (default FILE_GENERIC_READ, 0x120089)
  --timeout <ms>         bound of the connect to --forward (default 10000)

${EXIT_CODES}
`,

  'tunnel client': `Usage: wsasec tunnel client --listen HOST:PORT --connect HOST:PORT --target NAME
                            --realm FILE --machine FQDN [--user NAME]
                            [--require-encryption] [--mm-policy GUID] [--qm-policy GUID]

Accepts plain TCP connections on --listen and carries each over a new secured connection to the
tunnel server at --connect, which must prove to be --target. When a connection cannot be secured
(wrong target name, refused negotiation) the plain connection is closed and the reason printed.
Prints "tunnel client listening on HOST:PORT" when ready, then a line per connection. Runs until
interrupted (Ctrl-C, SIGTERM).

Options:
${BACKEND}
  --realm <file>         sim realm file
  --machine <fqdn>       the machine this end runs as (a machine of the realm)
  --user <name>          the user this end runs as (default: the machine account)
  --listen <host:port>   where to accept plain TCP (e.g. 127.0.0.1:6380; port 0: any free port)
  --connect <host:port>  the tunnel server
  --target <name>        peer target name the tunnel server must prove (host/<fqdn>)
  --require-encryption   refuse a connection that cannot be encrypted (guaranteeEncryption)
${POLICIES}  --timeout <ms>         bound of each secured connect and negotiation (default 10000)

${EXIT_CODES}
`,
};
