# Parity with the original Python prototype (MABWiser 2.7.4 + Mab2Rec) on
# its own simulated log: LinUCB is deterministic and must match to 1e-6; the
# five randomised policies must land inside the spread of many seeds.
#
# Reads ../shared/reference/seed-log (CMAB_REFERENCE_DIR) when present and
# says plainly when it skips.  The expected LinUCB metrics are copied here.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $ref = ($ENV{CMAB_REFERENCE_DIR} // '') . '/seed-log';
if (!-f "$ref/training_log.csv")
{
	plan skip_all => 'reference data not found: place ../shared/reference beside the clone '
	  . 'or set CMAB_REFERENCE_DIR; parity test skipped';
}

# Mab2Rec's benchmark of LinUCB(alpha=1, l2_lambda=1), k = 5 and k = 10
my %expected = (
	5 => {
		auc => 0.8603174603174604, ctr => 0.20454545454545456,
		precision_at_k => 0.006976744186046512, recall_at_k => 0.03488372093023256,
		ndcg_at_k => 0.020195033434194987, map_at_k => 0.015310077519379843
	},
	10 => {
		auc => 0.668235294117647, ctr => 0.18478260869565216,
		precision_at_k => 0.006589147286821706, recall_at_k => 0.06589147286821706,
		ndcg_at_k => 0.029821736346611165, map_at_k => 0.01904915713055248
	});

my $node = PostgreSQL::Test::Cluster->new('parity');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION cmab');

my @features = qw(age latitude longitude gender_F gender_M
  traffic_source_Display traffic_source_Email traffic_source_Facebook
  traffic_source_Organic traffic_source_Search is_morning is_afternoon
  is_evening is_weekend is_weekday);
my $cols = join(', ', map { "\"$_\" float8" } @features);
my $ctx = join(', ', map { "\"$_\"" } @features);
$node->safe_psql('postgres', qq{
CREATE TABLE log_raw (event_id int, $cols, product_id int, response int);
\\copy log_raw FROM '$ref/training_log.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE log AS
SELECT event_id, ARRAY[$ctx] AS context, product_id::text AS arm, response::float8 AS reward
  FROM log_raw;
CREATE TABLE ref_top5 (event_id int, product_id int, score float8, rank int);
\\copy ref_top5 FROM '$ref/linucb_alpha1_top5_events_8001_8100.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE ref_beta (product_id int, $cols);
\\copy ref_beta FROM '$ref/linucb_fit_all_beta.csv' WITH (FORMAT csv, HEADER true)
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM log'), '10000', 'training log loaded');

my $arms = "(SELECT array_agg(g::text ORDER BY g) FROM generate_series(1, 200) AS g)";
my $train = 'SELECT arm, context, reward FROM log WHERE event_id <= 8000';
my $test = 'SELECT event_id, context, arm, reward FROM log WHERE event_id > 8000';
$node->safe_psql('postgres', qq{
SELECT cmab_model_create('linucb', 'linucb', dim => 15, arms => $arms, alpha => 1, l2_lambda => 1);
SELECT cmab_fit_query('linucb', '$train');
});

# LinUCB metrics to 1e-6
for my $k (5, 10)
{
	my $row = $node->safe_psql('postgres', qq{
SELECT auc, ctr, precision_at_k, recall_at_k, ndcg_at_k, map_at_k, matched_rows
  FROM cmab_evaluate('linucb', '$test', k => $k)});
	my @got = split /\|/, $row;
	my @names = qw(auc ctr precision_at_k recall_at_k ndcg_at_k map_at_k);
	for my $i (0 .. $#names)
	{
		my $want = $expected{$k}{ $names[$i] };
		ok(abs($got[$i] - $want) < 1e-6,
			"LinUCB $names[$i]\@$k = $got[$i] (reference $want)");
	}
	note "LinUCB k=$k matched rows: $got[6]";
}

# LinUCB top-5 lists of the first 100 test events: same products, same order,
# same sigmoid scores
my $diff = $node->safe_psql('postgres', q{
WITH ours AS (
    SELECT l.event_id, r.rank, r.arm::int AS product_id, r.score
      FROM log AS l, cmab_recommend('linucb', l.context, k => 5) AS r
     WHERE l.event_id BETWEEN 8001 AND 8100)
SELECT count(*) FILTER (WHERE o.product_id IS DISTINCT FROM f.product_id),
       count(*) FILTER (WHERE abs(o.score - f.score) > 1e-6 OR o.score IS NULL),
       count(*)
  FROM ref_top5 AS f FULL JOIN ours AS o USING (event_id, rank)});
is($diff, '0|0|500', 'LinUCB top-5 lists of events 8001-8100 equal the reference (500 rows)');

# ridge coefficients fitted on all 10,000 events, every arm, to 1e-6
$node->safe_psql('postgres', qq{
SELECT cmab_model_create('all', 'linucb', dim => 15, arms => $arms);
SELECT cmab_fit_query('all', 'SELECT arm, context, reward FROM log');
});
my $beta = $node->safe_psql('postgres', qq{
SELECT count(*), max(abs(b.v - r.v))
  FROM (SELECT a.arm::int AS product_id, u.i, u.v
          FROM cmab_arm AS a, unnest(cmab_state_beta(a.state)) WITH ORDINALITY AS u(v, i)
         WHERE a.model_id = (SELECT model_id FROM cmab_model WHERE name = 'all')) AS b
  JOIN (SELECT f.product_id, u.i, u.v
          FROM ref_beta AS f, unnest(ARRAY[$ctx]) WITH ORDINALITY AS u(v, i)) AS r
 USING (product_id, i)});
my ($nbeta, $maxdiff) = split /\|/, $beta;
is($nbeta, '3000', 'all 200 x 15 coefficients compared');
ok($maxdiff < 1e-6, "ridge coefficients equal the reference (max difference $maxdiff)");

# The randomised policies: the reference run must land inside the spread of
# our seeds (mean +- 4 standard deviations over 10 seeds), reported beside it.
my %ref_random = (
	Random     => [ 0.55,               0.10204081632653061, 0.003875968992248062 ],
	Popularity => [ 0.5928571428571429, 0.19230769230769232, 0.007751937984496124 ],
	LinGreedy  => [ 0.8851851851851852, 0.11764705882352941, 0.004651162790697675 ],
	LinTS      => [ 0.6407982261640799, 0.21153846153846154, 0.008527131782945736 ],
	ClustersTS => [ 0.6456456456456456, 0.1956521739130435,  0.0069767441860465115 ]);
my %policy = (
	Random => 'random', Popularity => 'popularity', LinGreedy => 'lingreedy',
	LinTS => 'lints', ClustersTS => 'clusters_ts');
for my $label (qw(Random Popularity LinGreedy LinTS ClustersTS))
{
	my $p = $policy{$label};
	$node->safe_psql('postgres', qq{
SELECT cmab_model_create('$p', '$p', dim => 15, arms => $arms, alpha => 1, epsilon => 0.1,
                         l2_lambda => 1, n_clusters => 10, seed => 1237);
SELECT cmab_fit_query('$p', '$train');
});
	my $stats = $node->safe_psql('postgres', qq{
SELECT avg(auc), stddev(auc), avg(ctr), stddev(ctr), avg(precision_at_k), stddev(precision_at_k)
  FROM generate_series(1, 10) AS s, cmab_evaluate('$p', '$test', k => 5, seed => s)});
	my @s = split /\|/, $stats;
	my @names = qw(AUC@5 CTR@5 Precision@5);
	for my $i (0 .. 2)
	{
		my ($mean, $sd, $want) = ($s[ 2 * $i ], $s[ 2 * $i + 1 ], $ref_random{$label}[$i]);
		my $z = $sd > 0 ? ($want - $mean) / $sd : 0;
		ok(abs($z) <= 4,
			sprintf("%-10s %-11s cmab %.4f +- %.4f over 10 seeds, reference %.4f (z = %+.2f)",
				$label, $names[$i], $mean, $sd, $want, $z));
	}
}

$node->stop;
done_testing();
