# Crash safety: the postmaster is killed with SIGKILL while clients update a
# model.  After recovery every update whose call returned is there, each
# arm's observations match the events committed with it, no state fails
# validation, and the model scores as a refit of those events does.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION cmab;
SELECT cmab_model_create('m', 'linucb', dim => 5,
       arms => ARRAY(SELECT g::text FROM generate_series(1, 50) AS g));
CREATE TABLE ev (id bigserial, arm text, ctx float8[], r float8);
});

# each transaction logs its event and learns from it, atomically
my $script = $node->basedir . '/update.sql';
open(my $fh, '>', $script) or die;
print $fh q{
\set a random(1, 50)
\set x random(0, 1000)
\set r random(0, 1)
WITH e AS (INSERT INTO ev (arm, ctx, r)
           VALUES (:a::text, ARRAY[1, :x / 1000.0, 1 - :x / 1000.0, :a / 50.0, 0.5], :r)
           RETURNING arm, ctx, r)
SELECT cmab_update('m', e.arm, e.ctx, e.r) FROM e;
};
close $fh;

my $logprefix = $node->basedir . '/acked';
my ($out, $err) = ('', '');
my $pgbench = IPC::Run::start(
	[
		'pgbench', '-n', '-c', '2', '-j', '2', '-T', '60', '-f', $script,
		'-l', "--log-prefix=$logprefix",
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'>', \$out, '2>', \$err);

# let some updates through, then kill the postmaster
my $n = 0;
for (my $i = 0; $i < 200 && $n < 300; $i++)
{
	usleep(100_000);
	$n = $node->safe_psql('postgres', 'SELECT count(*) FROM ev');
}
ok($n >= 300, "updates were running before the crash ($n events)");
my $postmaster = $node->{_pid};
$node->kill9;
$pgbench->finish;

# the client's own count of acknowledged updates
my $acked = 0;
for my $f (glob("$logprefix.*"))
{
	open(my $lf, '<', $f) or die;
	$acked++ while <$lf>;
	close $lf;
}
ok($acked > 0, "pgbench saw $acked updates acknowledged before the crash");

# wait for the postmaster to be gone (its backends notice and exit), then
# restart: crash recovery replays the WAL
for (my $i = 0; $i < 100 && kill(0, $postmaster); $i++)
{
	usleep(100_000);
}
usleep(500_000);
ok($node->start(fail_ok => 1), 'the cluster restarts and recovers');
my $events = $node->safe_psql('postgres', 'SELECT count(*) FROM ev');
my $learned = $node->safe_psql('postgres', "SELECT sum(n) FROM cmab_model_arms('m')");
cmp_ok($events, '>=', $acked, "every acknowledged update survived ($events >= $acked)");
cmp_ok($events, '<=', $acked + 2, 'at most one unacknowledged commit per client');
is($learned, $events, 'observation counts equal the committed events');
is($node->safe_psql('postgres',
		'SELECT count(*) FROM cmab_arm, LATERAL cmab_state_info(state)'),
	'50', 'all 50 states pass validation');

# the recovered model equals a refit of the committed events
$node->safe_psql('postgres', q{
SELECT cmab_model_create('refit', 'linucb', dim => 5,
       arms => ARRAY(SELECT g::text FROM generate_series(1, 50) AS g));
SELECT cmab_fit_query('refit', 'SELECT arm, ctx, r FROM ev');});
is( $node->safe_psql('postgres', q{
SELECT count(*) FROM cmab_recommend('m', '{1,0.3,0.7,0.5,0.5}', k => 50, seed => 1) AS a
  JOIN cmab_recommend('refit', '{1,0.3,0.7,0.5,0.5}', k => 50, seed => 1) AS b USING (rank)
 WHERE a.arm = b.arm AND abs(a.expectation - b.expectation) < 1e-9}),
	'50', 'the recovered model scores as a refit of the committed events');

$node->stop;
done_testing();
