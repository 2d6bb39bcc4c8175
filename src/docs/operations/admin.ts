/**
 * The admin routes (a JWT of a user with the admin role). (operations.ts merges the groups.)
 */
import type { OperationDoc } from '../operationDoc.js';
import { v1 } from './v1.js';

/** 502: Stripe failed a call; 503: the server has no Stripe (self-hosted). */
const billingErrors: OperationDoc['errors'] = [502, 503];

export const ADMIN_OPERATIONS: Record<string, OperationDoc> = {
  [v1('GET', '/admin/users')]: { summary: 'List users', success: { status: 200, body: 'json' } },

  [v1('POST', '/admin/users/{id}/role')]: { summary: "Change a user's role", success: { status: 200, body: 'json' } },

  [v1('POST', '/admin/users/{id}/disable')]: {
    summary: 'Disable an account (audited)',
    description:
      'Revokes every session of the user; their access tokens are refused from the next request, and ' +
      'login (403 `FORBIDDEN`) and refresh (401) are refused until the account is enabled again. ' +
      '409 `CONFLICT` for your own account.',
    success: { status: 200, body: 'json' },
    errors: [409],
  },

  [v1('POST', '/admin/users/{id}/enable')]: {
    summary: 'Enable a disabled account (audited); the user logs in again',
    success: { status: 200, body: 'json' },
  },

  [v1('GET', '/admin/audit-logs')]: { summary: 'Search the audit log', success: { status: 200, body: 'json' } },

  [v1('GET', '/admin/ip-blocks')]: { summary: 'List blocked IP addresses', success: { status: 200, body: 'json' } },

  [v1('DELETE', '/admin/ip-blocks/{ip}')]: {
    summary: 'Unblock an IP address',
    success: { status: 204, body: 'empty' },
  },

  [v1('GET', '/admin/feedback')]: {
    summary: 'Product feedback of all users, with counts per kind and sentiment',
    description:
      'Filters: `kind`, `sentiment`, `status`, `from`/`to`. `counts` cover the period and status filter ' +
      '(not kind or sentiment), so the distribution stays visible next to a filtered list.',
    success: { status: 200, body: 'AdminFeedbackList' },
  },

  [v1('GET', '/admin/onboarding-funnel')]: {
    summary: 'Users who signed up in a period, and how many of them did each setup step',
    success: { status: 200, body: 'json' },
  },

  [v1('POST', '/admin/feedback/{id}/status')]: {
    summary: 'Set the status of a product feedback item (audited)',
    success: { status: 200, body: 'ProductFeedbackResponse' },
  },

  [v1('GET', '/admin/usage')]: { summary: 'Usage across all projects', success: { status: 200, body: 'json' } },

  [v1('POST', '/admin/billing/refunds')]: {
    summary: 'Refund an invoice',
    success: { status: 201, body: 'RefundResponse' },
    errors: billingErrors,
  },

  [v1('GET', '/admin/flags')]: {
    summary: 'List feature flags (archived ones too unless archived=false)',
    success: { status: 200, body: 'FlagList' },
  },

  [v1('POST', '/admin/flags')]: {
    summary: 'Create a feature flag (audited)',
    description:
      'Rules, in order: archived or disabled -> off; denyUsers/denyProjects -> off; allowUsers/allowProjects -> on; ' +
      'otherwise on for rolloutPercent % of users (sticky by a hash of flag key and user id). A user who gets the ' +
      'flag gets one of its variants, sticky by hash and weighted. 409 when the key exists.',
    success: { status: 201, body: 'FlagResponse' },
    errors: [409],
  },

  [v1('PATCH', '/admin/flags/{key}')]: {
    summary: 'Change a feature flag (audited with each field before and after)',
    success: { status: 200, body: 'FlagResponse' },
    errors: [404, 409],
  },

  [v1('POST', '/admin/flags/{key}/archive')]: {
    summary: 'Archive a feature flag: off for everyone, kept for the record (audited)',
    success: { status: 200, body: 'FlagResponse' },
    errors: [404],
  },

  [v1('DELETE', '/admin/flags/{key}')]: {
    summary: 'Archive a feature flag (same as POST .../archive)',
    success: { status: 200, body: 'FlagResponse' },
    errors: [404],
  },
};
