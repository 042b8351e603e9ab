import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  ArgsScrubber,
  CWS_SENSITIVE_WORDS,
  DEFAULT_ENVS_WITH_VALUE,
  DEFAULT_SENSITIVE_WORDS,
  reduceEnvs,
} from '../../src/tree/process-scrubbing.js';

describe('reduceEnvs', () => {
  const keep = new Set<string>(DEFAULT_ENVS_WITH_VALUE);

  it('keeps only names, except for the variables whose value is kept', () => {
    expect(
      reduceEnvs(
        [
          'HOME=/root',
          'PATH=/usr/bin:/bin',
          'LD_PRELOAD=/lib/x.so',
          'SECRET=a=b',
          'EMPTY=',
          'GLIBC_TUNABLES=glibc.malloc.check=1',
        ],
        keep,
      ),
    ).toEqual([
      'HOME',
      'PATH=/usr/bin:/bin',
      'LD_PRELOAD=/lib/x.so',
      'SECRET',
      'EMPTY',
      'GLIBC_TUNABLES=glibc.malloc.check=1',
    ]);
  });

  it('keeps entries without "=" as they are and cuts the name at the first "="', () => {
    expect(reduceEnvs(['NO_VALUE', '=weird', 'A=B=C'], keep)).toEqual(['NO_VALUE', '', 'A']);
  });

  it('matches names exactly (case-sensitive) and returns a new array', () => {
    const envs = ['path=/x', 'PATH=/y'];
    const reduced = reduceEnvs(envs, keep);
    expect(reduced).toEqual(['path', 'PATH=/y']);
    expect(reduced).not.toBe(envs);
    expect(reduceEnvs([], keep)).toEqual([]);
  });

  it('has the agent default list', () => {
    expect(DEFAULT_ENVS_WITH_VALUE).toEqual([
      'LD_PRELOAD',
      'LD_LIBRARY_PATH',
      'PATH',
      'HISTSIZE',
      'HISTFILESIZE',
      'GLIBC_TUNABLES',
    ]);
  });
});

type Case = [input: string[], expected: string[]];

// The agent's own expectations (pkg/process/procutil/data_scrubber_test.go, same custom words). Where an
// input argument holds spaces the agent re-splits the command line; here boundaries are kept, so those
// expectations are the agent's joined back.
const agentCases: Case[] = [
  [
    ['agent', 'password', '-token', '1234'],
    ['agent', 'password', '********', '1234'],
  ],
  [
    ['agent', '-password', '1234'],
    ['agent', '-password', '********'],
  ],
  [
    ['agent --password > /password/secret; agent --password echo >> /etc'],
    ['agent --password ******** /password/secret; agent --password ******** >> /etc'],
  ],
  [['agent --password > /password/secret; ls'], ['agent --password ******** /password/secret; ls']],
  [
    ['agent', '-password=========123'],
    ['agent', '-password=********'],
  ],
  [
    ['agent', '-password:123'],
    ['agent', '-password:********'],
  ],
  [
    ['agent', 'password/test:123'],
    ['agent', 'password/test:********'],
  ],
  [
    ['agent', '-password////:123'],
    ['agent', '-password////:********'],
  ],
  [
    ['agent', '-password', '-password'],
    ['agent', '-password', '********'],
  ],
  [
    ['agent', '--password', '1234'],
    ['agent', '--password', '********'],
  ],
  [
    ['agent', '-password=1234'],
    ['agent', '-password=********'],
  ],
  [
    ['agent', '--password=1234'],
    ['agent', '--password=********'],
  ],
  [
    ['fitz', '-consul_token=1234567890'],
    ['fitz', '-consul_token=********'],
  ],
  [
    ['fitz', '--consul_token=1234567890'],
    ['fitz', '--consul_token=********'],
  ],
  [
    ['fitz', '-consul_token', '1234567890'],
    ['fitz', '-consul_token', '********'],
  ],
  [
    ['fitz', '--consul_token', '1234567890'],
    ['fitz', '--consul_token', '********'],
  ],
  [
    ['fitz', '-dd_password', '1234567890'],
    ['fitz', '-dd_password', '********'],
  ],
  [
    ['fitz', 'dd_password', '1234567890'],
    ['fitz', 'dd_password', '********'],
  ],
  [
    [
      'python ~/test/run.py --password=1234 -password 1234 -open_pword=admin -consul_token 2345 -blocked_from_yaml=1234 &',
    ],
    [
      'python ~/test/run.py --password=******** -password ******** -open_pword=admin -consul_token ******** -blocked_from_yaml=******** &',
    ],
  ],
  [
    ['agent', '-PASSWORD', '1234'],
    ['agent', '-PASSWORD', '********'],
  ],
  [
    ['agent', '--PASSword', '1234'],
    ['agent', '--PASSword', '********'],
  ],
  [
    ['agent', '--PaSsWoRd=1234'],
    ['agent', '--PaSsWoRd=********'],
  ],
  [['java -password      1234'], ['java -password      ********']],
  [
    ['process-agent --config=datadog.yaml --pid=process-agent.pid'],
    ['process-agent --config=******** --pid=********'],
  ],
  [['java kafka password 1234'], ['java kafka password ********']],
  [
    ['agent', 'password:1234'],
    ['agent', 'password:********'],
  ],
  [['agent password:1234'], ['agent password:********']],
  [
    ['p1', '--openpassword=admin'],
    ['p1', '--openpassword=********'],
  ],
  [
    ['p1', '-openpassword', 'admin'],
    ['p1', '-openpassword', '********'],
  ],
  [['java -openpassword 1234'], ['java -openpassword ********']],
  [['java -open_password 1234'], ['java -open_password ********']],
  [['java -passwordOpen 1234'], ['java -passwordOpen ********']],
  [['java -password_open 1234'], ['java -password_open ********']],
  [['java -password1 1234'], ['java -password1 ********']],
  [['java -password_1 1234'], ['java -password_1 ********']],
  [['java -1password 1234'], ['java -1password ********']],
  [['java -1_password 1234'], ['java -1_password ********']],
  [
    ['agent', '1_password:1234'],
    ['agent', '1_password:********'],
  ],
  [['agent 1_password:1234'], ['agent 1_password:********']],
];

const agentInsensitiveCases: string[][] = [
  ['agent', '-password/123'],
  [
    '/usr/local/bin/bash -c cat /etc/vaultd/secrets/haproxy-crt.pem > /etc/vaultd/secrets/haproxy.pem; echo >> /etc/vaultd/secrets/haproxy.pem',
  ],
  [':usr:local:bin:bash -c cat :etc:vaultd:secrets:haproxy-crt.pem > :etc:vaultd:secrets:haproxy.pem'],
  ['spidly', '--debug_port=2043'],
  ['agent', 'start', '-p', 'config.cfg'],
  ['p1', '-user=admin'],
  ['p1', '-user', 'admin'],
  ['java -xMg 1234'],
  ['java -open_pword 1234'],
  ['java -pwordOpen 1234'],
  ['java -pword_open 1234'],
  ['java -pword1 1234'],
  ['java -pword_1 1234'],
  ['java -1pword 1234'],
  ['java -1_pword 1234'],
  ['agent', '1_pword:1234'],
  ['agent 1_pword:1234'],
  [],
  [''],
  ['', ''],
];

const wildcardCases: Case[] = [
  [
    ['spidly', '--befpass=2043', 'onebefpass', '1234', '--befpassCustom=1234'],
    ['spidly', '--befpass=********', 'onebefpass', '********', '--befpassCustom=1234'],
  ],
  [
    ['spidly   --befpass=2043   onebefpass   1234   --befpassCustom=1234'],
    ['spidly   --befpass=********   onebefpass   ********   --befpassCustom=1234'],
  ],
  [
    ['spidly', '--afterpass=2043', 'afterpass_1', '1234', '--befafterpass_1=1234'],
    ['spidly', '--afterpass=********', 'afterpass_1', '********', '--befafterpass_1=1234'],
  ],
  [
    ['spidly', 'both', '1234', '-dd_both', '1234', 'bothafter', '1234', '--dd_bothafter=1234'],
    [
      'spidly',
      'both',
      '********',
      '-dd_both',
      '********',
      'bothafter',
      '********',
      '--dd_bothafter=********',
    ],
  ],
  [
    ['spidly', 'middle', '1234', '-mile', '1234', '--mill=1234'],
    ['spidly', 'middle', '********', '-mile', '********', '--mill=1234'],
  ],
  [
    [
      'spidly',
      '--passwd=1234',
      'password',
      '1234',
      '-mypassword',
      '1234',
      '--passwords=12345,123456',
      '--mypasswords=1234,123456',
    ],
    [
      'spidly',
      '--passwd=********',
      'password',
      '********',
      '-mypassword',
      '********',
      '--passwords=********',
      '--mypasswords=********',
    ],
  ],
  [['run-middle password 12345'], ['run-middle password ********']],
  [
    [
      'java /var/lib/datastax-agent/conf/address.yaml -Dopscenter.ssl.keyStorePassword=opscenter -Dagent-pidfile=/var/run/datastax-agent/datastax-agent.pid --anotherpassword=1234',
    ],
    [
      'java /var/lib/datastax-agent/conf/address.yaml -Dopscenter.ssl.keyStorePassword=******** -Dagent-pidfile=/var/run/datastax-agent/datastax-agent.pid --anotherpassword=********',
    ],
  ],
  [
    [
      '/usr/bin/java -Des.path.home=/usr/local/elasticsearch-1.7.6 -cp $ES_CLASSPATH:$ES_HOME/lib/*:/x/lib/sigar/* Main',
    ],
    ['/usr/bin/java -Des.path.home=******** -cp $ES_CLASSPATH:$ES_HOME/lib/*:/x/lib/sigar/* Main'],
  ],
  [['process \u2011XXpath:/secret/'], ['process \u2011XXpath:********']],
  [
    ['process', '\u2011XXpath:/secret/'],
    ['process', '\u2011XXpath:********'],
  ],
];

describe('ArgsScrubber', () => {
  const custom = new ArgsScrubber(['consul_token', 'dd_password', 'blocked_from_yaml', 'config', 'pid']);
  const wildcards = new ArgsScrubber(['*befpass', 'afterpass*', '*both*', 'mi*le', '*pass*d*', '*path*']);
  const defaults = new ArgsScrubber();

  it.each(agentCases)('redacts %j', (input, expected) => {
    const scrubbed = custom.scrub(input);
    expect(scrubbed).toEqual(expected);
    expect(scrubbed).not.toBe(input);
  });

  it.each(agentInsensitiveCases.map((input) => [input]))(
    'leaves %j alone, returning the same array',
    (input) => {
      expect(custom.scrub(input)).toBe(input);
    },
  );

  it.each(wildcardCases)('supports wildcards: %j', (input, expected) => {
    expect(wildcards.scrub(input)).toEqual(expected);
  });

  it('redacts tokens and JWTs by default, like the security agent', () => {
    expect(
      defaults.scrub(['cmd', '--secret', '1234567890', '--token', '1234567890', '--jwt', 'abc']),
    ).toEqual(['cmd', '--secret', '********', '--token', '********', '--jwt', '********']);
    expect(defaults.scrub(['cmd --secret 1234567890 --token 1234567890 --jwt abc'])).toEqual([
      'cmd --secret ******** --token ******** --jwt ********',
    ]);
    expect(defaults.scrub(['x', '--stripetoken=1', '--API_KEY', '2', 'MYSQL_PWD:3'])).toEqual([
      'x',
      '--stripetoken=********',
      '--API_KEY',
      '********',
      'MYSQL_PWD:********',
    ]);
  });

  it('does not treat -p as a secret, as the agent', () => {
    const args = ['mysql', '-p', 'hunter2', '-u', 'root'];
    expect(defaults.scrub(args)).toBe(args);
  });

  it('also scrubs the first argument (the agent cannot, having dropped argv[0])', () => {
    expect(defaults.scrub(['--password=hunter2'])).toEqual(['--password=********']);
    expect(defaults.scrub(['-password', 'hunter2'])).toEqual(['-password', '********']);
    expect(defaults.scrub(['password:hunter2'])).toEqual(['password:********']);
  });

  it('keeps argument boundaries; a value still ends at whitespace, as in the agent', () => {
    expect(defaults.scrub(['-c', 'echo hi', '--password', 'two words'])).toEqual([
      '-c',
      'echo hi',
      '--password',
      '******** words',
    ]);
    // Empty arguments stand for the agent's extra spaces: the delimiter spans them.
    expect(defaults.scrub(['--password', '', 'x'])).toEqual(['--password', '', '********']);
  });

  it('lets a key take the next argument as its value even when it is a key, as the agent', () => {
    expect(defaults.scrub(['x', 'generate-password', '-password', '12345'])).toEqual([
      'x',
      'generate-password',
      '********',
      '12345',
    ]);
  });

  it('returns the same array when a sensitive word appears without a value', () => {
    for (const args of [['--password'], ['x', 'password'], ['x', '-password/1'], ['/etc/secrets/x']]) {
      expect(defaults.scrub(args)).toBe(args);
    }
  });

  it('rejects sensitive words the agent would skip', () => {
    for (const word of ['', '*', '**', 'a**b', 'pass word', 'a-b', '(x', 'pässword']) {
      expect(() => new ArgsScrubber([word]), word).toThrow(InvalidArgumentError);
    }
    expect(() => new ArgsScrubber(['*token*', 'a_1*', '*b', 'c*d'])).not.toThrow();
  });

  it('has the agent default word lists', () => {
    expect(DEFAULT_SENSITIVE_WORDS).toEqual([
      '*password*',
      '*passwd*',
      '*mysql_pwd*',
      '*access_token*',
      '*auth_token*',
      '*api_key*',
      '*apikey*',
      '*secret*',
      '*credentials*',
      'stripetoken',
    ]);
    expect(CWS_SENSITIVE_WORDS).toEqual(['*token*', '*jwt*']);
  });
});

const SENSITIVE_LITERALS = [
  'password',
  'passwd',
  'mysql_pwd',
  'token',
  'api_key',
  'apikey',
  'secret',
  'credentials',
  'jwt',
];
const argument = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'b', 'x', '1', '-', '=', ':', '/', ' ', '\t', 'é'), maxLength: 12 }),
  fc.constantFrom('--password', '-secret', 'TOKEN', 'api_key=1', 'x_jwt:2', 'passwd', '********'),
);
const safeArgument = fc.string({
  unit: fc.constantFrom('a', 'b', 'x', '1', '-', '=', ':', '/', ' '),
  maxLength: 10,
});

describe('ArgsScrubber properties', () => {
  const scrubber = new ArgsScrubber();

  it('keeps the number of arguments and is idempotent', () => {
    fc.assert(
      fc.property(fc.array(argument, { maxLength: 8 }), (args) => {
        const once = scrubber.scrub(args);
        expect(once).toHaveLength(args.length);
        expect(scrubber.scrub(once)).toEqual(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('only ever replaces values with ********', () => {
    const noWhitespace = fc.string({
      unit: fc.constantFrom('a', 'x', '1', '-', '=', ':', '/'),
      maxLength: 8,
    });
    const args = fc.array(fc.oneof(noWhitespace, fc.constantFrom('--password', 'secret=', '-TOKEN:')), {
      maxLength: 8,
    });
    fc.assert(
      fc.property(args, (input) => {
        scrubber.scrub(input).forEach((arg, i) => {
          const original = input[i]!;
          const kept = arg === original;
          const replaced = arg === '********';
          const valueReplaced = arg.endsWith('********') && original.startsWith(arg.slice(0, -8));
          expect(kept || replaced || valueReplaced).toBe(true);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('returns the same array when no argument holds a sensitive word', () => {
    fc.assert(
      fc.property(fc.array(safeArgument, { maxLength: 8 }), (args) => {
        fc.pre(args.every((arg) => SENSITIVE_LITERALS.every((word) => !arg.toLowerCase().includes(word))));
        expect(scrubber.scrub(args)).toBe(args);
      }),
    );
  });

  it('always redacts the value of a --password flag among harmless arguments', () => {
    const plain = fc.string({ unit: fc.constantFrom('a', 'x', '1', '.', '/'), maxLength: 8 });
    fc.assert(
      fc.property(
        fc.array(plain, { maxLength: 4 }),
        fc.string({ unit: fc.constantFrom('3', '7', '!', '#'), minLength: 1, maxLength: 8 }),
        fc.array(plain, { maxLength: 4 }),
        fc.boolean(),
        (before, secret, after, joined) => {
          const args = joined
            ? [...before, `--password=${secret}`, ...after]
            : [...before, '--password', secret, ...after];
          const scrubbed = scrubber.scrub(args);
          expect(scrubbed.join('\n')).not.toContain(secret);
        },
      ),
    );
  });
});
