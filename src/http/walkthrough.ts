import type { GraphQLSchema } from 'graphql';

/**
 * The admin walkthrough: the operations the playground offers in its first tab, in the order an
 * admin runs them, and what to do at each step. This is its one source: the playground's tab is
 * built from it, and so is docs/walkthrough.md (`npm run docs`; a test fails when the doc is
 * stale), so the two can't drift. Text in `backticks` is code in the doc and plain in the tab.
 */
export interface WalkthroughStep {
  /** the operation's name, as GraphiQL's run menu lists it */
  name: string;
  /** what to do and what to copy: a line of the tab's opening comment, and the doc's first words */
  hint: string;
  /** what the doc says besides */
  more?: string;
  document: string;
  /** A document must validate as a whole: a step is offered only where the schema has its field. */
  needs?: (schema: GraphQLSchema) => boolean;
}

export const WALKTHROUGH_TITLE = "Empress API Access: an admin's first session.";

export const WALKTHROUGH_HOW =
  'Run the operations in order: press the run button and pick one, or put the cursor in one and press Ctrl-Enter. ' +
  'Fill in the variables as you go.';

export const WALKTHROUGH_AFTER = [
  'Applications send `Authorization: Basic base64(key:secret)`.',
  'The Docs panel (the book icon, top left) describes every field.',
];

export const WALKTHROUGH: WalkthroughStep[] = [
  {
    name: 'LogIn',
    hint: 'sign in, and put `data.logIn.token` in the Headers tab: `{"Authorization": "Bearer <token>"}`',
    more:
      'The platform admin signs in with the password printed at first start (as `admin@localhost`, unless ' +
      '`BOOTSTRAP_ADMIN_EMAIL` names another address).',
    document: `mutation LogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) {
    token
    expiresAt
    user { id email name }
  }
}`,
  },
  {
    name: 'CreateTeam',
    hint: 'copy its id to `teamId`, a role id to `roleId`',
    more: 'You become its Owner; it gets the roles Owner, Admin, Member and Auditor.',
    document: `mutation CreateTeam($teamName: String!) {
  createTeam(name: $teamName) {
    id
    name
    roles { id name permissions }
  }
}`,
  },
  {
    name: 'InviteMember',
    hint:
      'the person signs in with that email and accepts (`acceptInvitation`); ' +
      'copy their membership id (`team(id) { members { id } }`) to `membershipId`',
    more:
      'They see it under `myInvitations` (after signing up, if the address has no account yet); ' +
      'once they accept it, they are a member with that role.',
    document: `mutation InviteMember($teamId: ID!, $memberEmail: String!, $roleId: ID!) {
  inviteTeamMember(teamId: $teamId, email: $memberEmail, roleId: $roleId) {
    id
    email
    roleName
    status
    expiresAt
  }
}`,
  },
  {
    name: 'GrantPermission',
    hint: 'one permission on top of the role',
    more:
      '"Anyone granted the necessary permissions can generate and manage API keys": `apiKeys:create` lets a ' +
      'Member create keys. The member sees what they may do with `team(id: …) { viewerPermissions }`.',
    document: `mutation GrantPermission($membershipId: ID!, $permission: String!) {
  grantPermission(membershipId: $membershipId, permission: $permission) {
    id
    permission
    user { email }
    createdAt
  }
}`,
  },
  {
    name: 'CreateRole',
    hint: 'or a custom role, with any permissions of the catalogue',
    more: 'Give it to a member with `changeMemberRole`, or invite someone with it.',
    document: `mutation CreateRole($teamId: ID!, $roleName: String!, $rolePermissions: [String!]!) {
  createRole(teamId: $teamId, name: $roleName, permissions: $rolePermissions) {
    id
    name
    permissions
  }
}`,
  },
  {
    name: 'CreateApiKey',
    hint: 'the secret is shown in this answer only; copy `apiKey.id` to `apiKeyId`',
    more:
      "Copy the secret now: you can't view it again, since the service keeps only its digest. If it is lost, " +
      'regenerate it. The input also takes a `description`, an `expiresAt` and `allowedIps` (addresses or CIDR ' +
      'blocks such as `203.0.113.0/24`).',
    document: `mutation CreateApiKey($teamId: ID!, $keyName: String!, $scopes: [String!]) {
  createApiKey(input: { teamId: $teamId, name: $keyName, scopes: $scopes }) {
    secret
    apiKey { id key name scopes status secretLast4 }
  }
}`,
  },
  {
    name: 'RegenerateSecret',
    hint: 'the previous secret stops working',
    more: 'Only the most recent secret is valid: the old one is refused on every instance as soon as this returns.',
    document: `mutation RegenerateSecret($apiKeyId: ID!) {
  regenerateApiKeySecret(id: $apiKeyId) {
    secret
    apiKey { id secretVersion secretLast4 secretRegeneratedAt }
  }
}`,
  },
  {
    name: 'RevokeApiKey',
    hint: 'the key is refused everywhere from now on',
    more: 'Revoke a key when its application is retired or its secret leaked.',
    document: `mutation RevokeApiKey($apiKeyId: ID!) {
  revokeApiKey(id: $apiKeyId) {
    id
    status
    revokedAt
  }
}`,
  },
  {
    name: 'AuditLog',
    hint: 'all of the above, as the audit trail has it',
    more:
      'It shows who created the key, who regenerated and revoked it, when and from where it was used, and who ' +
      'was refused. ' +
      '`filter: { apiKeyId: … }` narrows it to one key.',
    needs: (schema) => Boolean(schema.getQueryType()?.getFields().auditEvents),
    document: `query AuditLog($teamId: ID!) {
  auditEvents(teamId: $teamId, first: 20) {
    edges {
      node { occurredAt action outcome actor { type label } targetType targetId requestId }
    }
    pageInfo { hasNextPage endCursor }
  }
}`,
  },
];

/** The tab's variables: one per blank of the walkthrough, a <placeholder> where a step's answer goes. */
export const WALKTHROUGH_VARIABLES = {
  email: 'admin@localhost',
  password: '',
  teamName: 'Acme',
  teamId: '<data.createTeam.id>',
  memberEmail: 'colleague@example.com',
  roleId: '<a role id from data.createTeam.roles>',
  membershipId: "<the member's id, once they accepted>",
  permission: 'apiKeys:create',
  roleName: 'Key manager',
  rolePermissions: ['team:read', 'apiKeys:read', 'apiKeys:manage'],
  keyName: 'orders-service',
  scopes: ['team:read'],
  apiKeyId: '<data.createApiKey.apiKey.id>',
};

/** Shown in the headers editor; the page drops a header whose value still holds a <placeholder>. */
export const DEFAULT_HEADERS = '{\n  "Authorization": "Bearer <token from logIn>"\n}';

const COMMENT_WIDTH = 62;

/** The words of a text; a `code span` is one word, however many spaces it holds. */
function words(text: string): string[] {
  return text.match(/(?:`[^`]*`|\S)+/g) ?? [];
}

/** Text as lines of a GraphQL comment no wider than the tab shows; lines after the first start with `indent`. */
function commentLines(text: string, first = '# ', indent = '# '): string[] {
  const lines: string[] = [];
  let line = first;
  for (const word of words(text).map((w) => w.replace(/`/g, ''))) {
    if (line !== first && line !== indent && line.length + word.length > COMMENT_WIDTH) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines;
}

/** The steps this schema can run: a step whose field the schema lacks would make the whole tab invalid. */
export function walkthroughSteps(schema?: GraphQLSchema): WalkthroughStep[] {
  return WALKTHROUGH.filter((step) => !step.needs || (schema && step.needs(schema)));
}

/** The playground's first tab: the steps as an opening comment, then their operations. */
export function walkthroughDocument(schema?: GraphQLSchema): string {
  const steps = walkthroughSteps(schema);
  const intro = [
    `# ${WALKTHROUGH_TITLE}`,
    ...commentLines(WALKTHROUGH_HOW),
    '#',
    ...steps.flatMap((step, i) =>
      commentLines(`${step.name}: ${step.hint}`, `# ${i + 1}. `, '#    '),
    ),
    '#',
    ...WALKTHROUGH_AFTER.flatMap((text) => commentLines(text)),
  ];
  return `${intro.join('\n')}\n\n${steps.map((step) => step.document).join('\n\n')}\n`;
}
