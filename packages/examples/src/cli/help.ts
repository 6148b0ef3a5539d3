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
};
