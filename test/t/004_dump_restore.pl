# pg_dump / pg_restore of a database with models: the extension's tables
# are configuration tables, so their rows are dumped, and the restored
# models hold the same states and give the same recommendations.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION cmab;
CREATE TABLE log AS
SELECT (1 + i % 7)::text AS arm,
       ARRAY[1, cmab_uniform(1, i), cmab_uniform(2, i)] AS ctx,
       (cmab_uniform(3, i) < 0.3)::integer AS r
  FROM generate_series(1, 3000) AS i;
SELECT cmab_model_create(p, p, dim => 3, arms => '{1,2,3,4,5,6,7}', n_clusters => 3)
  FROM unnest('{linucb,lints,popularity,clusters_ts}'::text[]) AS p;
SELECT cmab_fit_query(p, 'SELECT arm, ctx, r FROM log')
  FROM unnest('{linucb,lints,popularity,clusters_ts}'::text[]) AS p;
SELECT cmab_update('linucb', '3', '{1,0.5,0.5}', 1);
});

my $snapshot = q{
SELECT string_agg(m.name || ':' || a.arm || ':' || md5(a.state), ',' ORDER BY m.name, a.arm_ord)
  FROM cmab_arm AS a JOIN cmab_model AS m USING (model_id)};
my $recs = q{
SELECT string_agg(p || ':' || r.arm || ':' || round(r.expectation::numeric, 12), ',' ORDER BY p, r.rank)
  FROM unnest('{linucb,lints,popularity,clusters_ts}'::text[]) AS p,
       LATERAL cmab_recommend(p, '{1,0.2,0.9}', k => 7, seed => 42) AS r};
my $models = q{SELECT string_agg(name || ':' || policy || ':' || owner || ':' || coalesce(centroids::text, ''), ',' ORDER BY model_id) FROM cmab_model};
my %before = map { $_ => $node->safe_psql('postgres', $_) } ($snapshot, $recs, $models);

my $dump = $node->basedir . '/models.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-h', $node->host, '-p', $node->port, 'postgres' ],
	'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', 'restored', '-h', $node->host, '-p', $node->port, $dump ],
	'pg_restore');

is($node->safe_psql('restored', $models), $before{$models}, 'models restored');
is($node->safe_psql('restored', $snapshot), $before{$snapshot}, 'every arm state restored byte for byte');
is($node->safe_psql('restored', $recs), $before{$recs}, 'recommendations identical');
is($node->safe_psql('restored', "SELECT cmab_update('linucb', '3', '{1,0.5,0.5}', 1)"),
	$node->safe_psql('postgres', "SELECT cmab_update('linucb', '3', '{1,0.5,0.5}', 1)"),
	'the restored model keeps learning');
like($node->safe_psql('restored', "SELECT cmab_model_create('new', 'linucb', dim => 1)"),
	qr/^\d+$/, 'the model id sequence was restored too');

$node->stop;
done_testing();
