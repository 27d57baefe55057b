# Concurrency with maintenance: while clients update a model and others
# read recommendations, the model is refitted, arms are added and removed,
# and the arm table is vacuumed and reindexed.  No client sees an error and
# no update is lost.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('maintenance');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION cmab;
SELECT cmab_model_create('m', 'linucb', dim => 3,
       arms => ARRAY(SELECT g::text FROM generate_series(1, 30) AS g));
SELECT cmab_model_create('other', 'linucb', dim => 3,
       arms => ARRAY(SELECT g::text FROM generate_series(1, 40) AS g));
CREATE TABLE ev (id bigserial, arm text, ctx float8[], r float8);
CREATE TABLE log AS
SELECT (1 + i % 40)::text AS arm, ARRAY[1, cmab_uniform(1, i), cmab_uniform(2, i)] AS ctx,
       (cmab_uniform(3, i) < 0.2)::integer AS r
  FROM generate_series(1, 4000) AS i;
});

my $dir = $node->basedir;
sub script
{
	my ($name, $body) = @_;
	open(my $fh, '>', "$dir/$name.sql") or die;
	print $fh $body;
	close $fh;
	return "$dir/$name.sql";
}
# learners on arms 1-30 of 'm' (arms 31-40 come and go below)
my $upd = script('upd', q{
\set a random(1, 30)
\set x random(0, 1000)
WITH e AS (INSERT INTO ev (arm, ctx, r) VALUES (:a::text, ARRAY[1, :x / 1000.0, 0.5], 1)
           RETURNING arm, ctx, r)
SELECT cmab_update('m', e.arm, e.ctx, e.r) FROM e;
});
my $rec = script('rec', q{
\set x random(0, 1000)
SELECT count(*) FROM cmab_recommend('m', ARRAY[1, :x / 1000.0, 0.5], k => 5);
SELECT count(*) FROM cmab_recommend('other', ARRAY[1, :x / 1000.0, 0.5], k => 5);
});
# maintenance, in a loop: refit the other model, add and remove arms of 'm',
# vacuum and reindex the arm table
my $maint = script('maint', q{
SELECT cmab_fit_query('other', 'SELECT arm, ctx, r FROM log');
SELECT cmab_arm_add('m', ARRAY['31', '32', '33']);
SELECT cmab_update('m', '31', '{1,0,0}', 1);
SELECT cmab_arm_remove('m', '31');
SELECT cmab_arm_remove('m', '32');
SELECT cmab_arm_remove('m', '33');
VACUUM cmab_arm;
REINDEX TABLE cmab_arm;
});

my @runs;
for my $job ([ 'upd', $upd, 2 ], [ 'rec', $rec, 1 ], [ 'maint', $maint, 1 ])
{
	my ($name, $file, $clients) = @$job;
	my $r = { name => $name };
	$r->{h} = IPC::Run::start(
		[
			'pgbench', '-n', '-c', $clients, '-j', $clients, '-T', '8', '-f', $file,
			'-h', $node->host, '-p', $node->port, 'postgres'
		],
		'>', "$dir/$name.out", '2>', "$dir/$name.err");
	push @runs, $r;
}
for my $r (@runs)
{
	my $clean = $r->{h}->finish;
	my $out = slurp_file("$dir/$r->{name}.out");
	my $err = slurp_file("$dir/$r->{name}.err");
	my ($processed) = $out =~ m{actually processed: (\d+)};
	ok($clean, "$r->{name}: pgbench exited cleanly");
	unlike($err, qr/ERROR|aborted/, "$r->{name}: no client saw an error");
	ok(defined $processed && $processed > 0, "$r->{name}: $processed transactions");
}

is($node->safe_psql('postgres',
		"SELECT sum(n) FROM cmab_model_arms('m') WHERE arm::integer <= 30"),
	$node->safe_psql('postgres', 'SELECT count(*) FROM ev'),
	'no update of arms 1-30 was lost');
is($node->safe_psql('postgres', "SELECT count(*) FROM cmab_model_arms('m')"),
	'30', 'the arms added and removed are gone; the rest remain');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM cmab_arm, LATERAL cmab_state_info(state)"),
	'70', 'every state passes validation');

$node->stop;
done_testing();
