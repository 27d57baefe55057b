-- The stored arm state: format, introspection, updates, merges, validation.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

-- an untrained linear arm: A = l2_lambda I, b = 0, factor included
SELECT * FROM cmab_state_info(cmab_state_prior(15));
SELECT * FROM cmab_state_info(cmab_state_prior(3, 2));
SELECT * FROM cmab_state_info(cmab_counts_prior(10));

-- one observation x = (1, 2, 3), r = 1: beta = x / (1 + |x|^2) = x / 15
SELECT array(SELECT round(b::numeric, 12) FROM unnest(cmab_state_beta(cmab_state_add(cmab_state_prior(3), '{1,2,3}', 1))) AS b) AS beta;

-- a state grows O(d^2) and its byte size is fixed by d
SELECT d, (cmab_state_info(cmab_state_prior(d))).bytes
  FROM unnest('{1,2,15,20,30,50}'::int[]) AS d;

-- merging adds the sufficient statistics exactly: merge(a, b) = a then b
WITH s AS (SELECT cmab_state_prior(3) AS p)
SELECT (SELECT max(abs(m - r)) < 1e-12
          FROM unnest(cmab_state_beta(cmab_state_merge(cmab_state_add(p, '{1,0,2}', 1),
                                                       cmab_state_add(p, '{0,1,1}', 0))),
                      cmab_state_beta(cmab_state_add(cmab_state_add(p, '{1,0,2}', 1), '{0,1,1}', 0)))
               AS u(m, r)) AS merge_equals_replay,
       (cmab_state_info(cmab_state_merge(cmab_state_add(p, '{1,0,2}', 1),
                                         cmab_state_add(p, '{0,1,1}', 0)))).n AS n
  FROM s;

-- counts states, one slot per cluster
SELECT * FROM cmab_state_info(cmab_state_add(cmab_state_add(cmab_counts_prior(2), NULL, 1, 1), NULL, 0, 0));

-- Frozen format version 1 fixtures (little-endian); these must decode to
-- the same numbers forever.  x1 = (1, 2), r1 = 1; x2 = (0.5, -1), r2 = 0.
\set v1_linear '\'\\x434d41420100010102000000000000000200000000000000000000000000f03f000000000000f03f0000000000000240000000000000f83f0000000000001840010000000000f83ffeffffffffffef3fa9f4979b77e30140000000000000f03f0000000000000040\'::bytea'
\set v1_linear_nofactor '\'\\x434d41420100010002000000000000000200000000000000000000000000f03f000000000000f03f0000000000000240000000000000f83f0000000000001840000000000000f03f0000000000000040\'::bytea'
\set v1_counts '\'\\x434d414201000200020000000000000002000000000000000000000000000000000000000000f03f000000000000f03f0000000000000000000000000000f03f000000000000f03f\'::bytea'
SELECT * FROM cmab_state_info(:v1_linear);
SELECT * FROM cmab_state_info(:v1_linear_nofactor);
SELECT * FROM cmab_state_info(:v1_counts);
SELECT cmab_state_beta(:v1_linear) AS beta, cmab_state_beta(:v1_linear_nofactor) AS beta_nofactor;
SELECT round(cmab_linucb_score(:v1_linear, '{1,1}', 1)::numeric, 12) AS linucb,
       round(cmab_linucb_score(:v1_linear_nofactor, '{1,1}', 1)::numeric, 12) AS linucb_nofactor;
SELECT :v1_linear = cmab_state_add(cmab_state_add(cmab_state_prior(2), '{1,2}', 1), '{0.5,-1}', 0) AS still_written_the_same;

-- Damaged states are rejected, saying why
SELECT cmab_state_info('\x'::bytea);
SELECT cmab_state_info('\x00010203'::bytea);
SELECT cmab_state_info(substr(:v1_linear, 1, 60));                    -- truncated
SELECT cmab_state_info(:v1_linear || '\x00'::bytea);                  -- trailing byte
SELECT cmab_state_info(overlay(:v1_linear placing '\x58'::bytea from 1 for 1));  -- bad magic
SELECT cmab_state_info(overlay(:v1_linear placing '\x42414d43'::bytea from 1 for 4));  -- byte-swapped
SELECT cmab_state_info(overlay(:v1_linear placing '\x0200'::bytea from 5 for 2));  -- version 2
SELECT cmab_state_info(overlay(:v1_linear placing '\x07'::bytea from 7 for 1));  -- family 7
SELECT cmab_state_info(overlay(:v1_linear placing '\x81'::bytea from 8 for 1));  -- unknown flag
SELECT cmab_state_info(overlay(:v1_linear placing '\x0000f0ff'::bytea from 9 for 4));  -- negative dim
SELECT cmab_state_info(overlay(:v1_linear placing '\x01'::bytea from 13 for 1)); -- reserved
SELECT cmab_state_info(overlay(:v1_linear placing '\xffffffffffffffff'::bytea from 17 for 8)); -- n = -1
SELECT cmab_state_info(overlay(:v1_linear placing '\x000000000000f87f'::bytea from 41 for 8)); -- NaN in A
SELECT cmab_state_info(overlay(:v1_linear placing '\x0000000000000000'::bytea from 41 for 8)); -- A00 < lambda
SELECT cmab_state_info(overlay(:v1_linear placing '\x000000000000f0bf'::bytea from 65 for 8)); -- L00 < 0
SELECT cmab_state_info(overlay(:v1_linear placing '\x000000000000f0ff'::bytea from 89 for 8)); -- -Inf in b
SELECT cmab_state_info(overlay(:v1_counts placing '\x000000000000e03f'::bytea from 41 for 8)); -- 0.5 observations
SELECT cmab_state_info(overlay(:v1_counts placing '\x0000000000000040'::bytea from 41 for 8)); -- counts do not add up
SELECT cmab_linucb_score(overlay(:v1_linear placing '\x58'::bytea from 1 for 1), '{1,1}');
SELECT cmab_state_add(substr(:v1_linear, 1, 60), '{1,1}', 1);
SELECT cmab_state_beta(:v1_counts);

-- merging states of different shapes is an error, not a crash
SELECT cmab_state_merge(cmab_state_prior(2), cmab_state_prior(3));
SELECT cmab_state_merge(cmab_state_prior(2, 1), cmab_state_prior(2, 2));
SELECT cmab_state_merge(cmab_state_prior(2), cmab_counts_prior(2));
SELECT cmab_state_merge(cmab_counts_prior(2), cmab_counts_prior(3));
SELECT cmab_state_merge(NULL, cmab_state_prior(2));

-- bad observations are refused and the state is not changed
SELECT cmab_state_add(cmab_state_prior(3), '{1,2}', 1);
SELECT cmab_state_add(cmab_state_prior(3), '{1,2,3,4}', 1);
SELECT cmab_state_add(cmab_state_prior(3), '{1,NaN,3}', 1);
SELECT cmab_state_add(cmab_state_prior(3), '{1,Infinity,3}', 1);
SELECT cmab_state_add(cmab_state_prior(3), '{1,NULL,3}', 1);
SELECT cmab_state_add(cmab_state_prior(3), '{{1,2,3}}', 1);
SELECT cmab_state_add(cmab_state_prior(3), NULL, 1);
SELECT cmab_state_add(cmab_state_prior(3), '{1,2,3}', 'NaN');
SELECT cmab_state_add(cmab_state_prior(3), '{1,2,3}', NULL);
SELECT cmab_state_add(NULL, '{1,2,3}', 1);
SELECT cmab_state_add(cmab_counts_prior(2), NULL, 1, 2);
SELECT cmab_state_prior(0);
SELECT cmab_state_prior(1001);
SELECT cmab_state_prior(3, 0);
SELECT cmab_state_prior(3, -1);
SELECT cmab_state_prior(3, 'NaN');
SELECT cmab_counts_prior(0);
SELECT cmab_state_add(cmab_state_prior(3), array_fill(1::float8, ARRAY[1001]), 1);
