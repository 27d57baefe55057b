# cmab_update locks only its arm's row: a concurrent recommendation never
# waits, an update of another arm never waits, an update of the same arm
# waits and then applies on top (no lost update); many concurrent clients
# lose nothing and end where a replay of their events ends.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('concurrency');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION cmab;
SELECT cmab_model_create('m', 'linucb', dim => 3, arms => '{a,b,c}');
CREATE TABLE ev (id serial, arm text, ctx float8[], r float8);
INSERT INTO ev (arm, ctx, r) VALUES ('a', '{1,0,1}', 1), ('b', '{1,1,0}', 0), ('c', '{0,1,1}', 1);
SELECT cmab_fit_query('m', 'SELECT arm, ctx, r FROM ev');
});
my $n_of = sub {
	my $arm = shift;
	return $node->safe_psql('postgres',
		"SELECT n FROM cmab_model_arms('m') WHERE arm = '$arm'");
};

# session A holds an uncommitted update of arm a
my $a = $node->background_psql('postgres');
$a->query_safe("BEGIN; SELECT cmab_update('m', 'a', '{1,1,1}', 1);");

# readers do not wait, and see the last committed state
my ($rc, $out, $err) = $node->psql('postgres', q{
SET lock_timeout = '2s';
SELECT string_agg(arm, ',' ORDER BY rank) FROM cmab_recommend('m', '{1,0,0}', k => 3);});
is($rc, 0, 'recommend runs while arm a is being updated');
is($n_of->('a'), '1', 'readers see the committed state of arm a');

# another arm learns meanwhile
($rc, $out, $err) = $node->psql('postgres', q{
SET lock_timeout = '2s';
SELECT cmab_update('m', 'b', '{1,1,1}', 1);});
is($rc, 0, 'an update of arm b does not wait for arm a');

# the same arm waits for the lock
($rc, $out, $err) = $node->psql('postgres', q{
SET lock_timeout = '300ms';
SELECT cmab_update('m', 'a', '{1,1,1}', 0);});
like($err, qr/lock timeout/, 'an update of arm a waits for the uncommitted update of arm a');

# session B queues behind A, then applies on top of A's committed version
my $b = $node->background_psql('postgres');
$b->query_until(qr/queued/, "\\echo queued\nSELECT cmab_update('m', 'a', '{0,1,0}', 1);\n");
$a->query_safe('COMMIT;');
$b->quit;
$a->quit;
is($n_of->('a'), '3', 'both updates of arm a are kept (1 fitted + 2 updates)');

# many clients at once: nothing lost, every arm equals a replay of its events
$node->safe_psql('postgres', q{
INSERT INTO ev (arm, ctx, r) VALUES ('a', '{1,1,1}', 1), ('b', '{1,1,1}', 1), ('a', '{0,1,0}', 1);});
$node->pgbench(
	'--no-vacuum --client=4 --jobs=2 --transactions=150',
	0,
	[qr{processed: 600/600}],
	[qr{^$}],
	'600 concurrent updates over 3 arms',
	{
		'002_update' => q{
\set arm random(1, 3)
\set x random(0, 1000)
\set y random(0, 1000)
\set r random(0, 1)
WITH e AS (INSERT INTO ev (arm, ctx, r)
           VALUES ((ARRAY['a','b','c'])[:arm], ARRAY[1, :x / 1000.0, :y / 1000.0], :r)
           RETURNING arm, ctx, r)
SELECT cmab_update('m', e.arm, e.ctx, e.r) FROM e;
}
	});
is($node->safe_psql('postgres', "SELECT sum(n) FROM cmab_model_arms('m')"),
	$node->safe_psql('postgres', 'SELECT count(*) FROM ev'),
	'observation counts add up to every event, none lost');
$node->safe_psql('postgres', q{
SELECT cmab_model_create('replay', 'linucb', dim => 3, arms => '{a,b,c}');
SELECT cmab_fit_query('replay', 'SELECT arm, ctx, r FROM ev');});
is( $node->safe_psql('postgres', q{
SELECT count(*) FROM cmab_arm AS l JOIN cmab_arm AS r USING (arm)
 WHERE l.model_id = (SELECT model_id FROM cmab_model WHERE name = 'm')
   AND r.model_id = (SELECT model_id FROM cmab_model WHERE name = 'replay')
   AND (SELECT max(abs(x - y)) FROM unnest(cmab_state_beta(l.state), cmab_state_beta(r.state)) AS u(x, y)) < 1e-9
   AND (cmab_state_info(l.state)).n = (cmab_state_info(r.state)).n}),
	'3', 'each arm equals a serial replay of its events');

$node->stop;
done_testing();
