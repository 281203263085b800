#!/usr/bin/perl
# Writes a small MaxMind DB country database for tests.
#   perl write-country-mmdb.pl OUTPUT IP_VERSION NETWORK=CC:SHAPE...
# SHAPE is how the record is written:
#   maxmind     { country => { iso_code => CC, names => { en => CC } } }   (GeoLite2, DB-IP)
#   registered  { registered_country => { iso_code => CC } }             (no country, registered one only)
#   flat        { country_code => CC }                                   (ip-location-db)
# Reserved networks are kept so tests can check that the filter itself treats private addresses as unknown.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($output, $ip_version, @entries) = @ARGV;
die "usage: $0 OUTPUT IP_VERSION NETWORK=CC:SHAPE...\n" unless $output && $ip_version && @entries;

my %types = (
    country            => 'map',
    registered_country => 'map',
    names              => 'map',
    iso_code           => 'utf8_string',
    en                 => 'utf8_string',
    country_code       => 'utf8_string',
);

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => $ip_version,
    record_size              => 24,
    database_type            => 'Test-Country',
    languages                => ['en'],
    description              => { en => 'Country fixture for tests' },
    map_key_type_callback    => sub { $types{ $_[0] } },
    remove_reserved_networks => 0,
    alias_ipv6_to_ipv4       => ($ip_version == 6 ? 1 : 0),
);

for my $entry (@entries) {
    my ($network, $value) = split /=/, $entry, 2;
    my ($code, $shape) = split /:/, $value, 2;
    $shape ||= 'maxmind';
    my $record =
        $shape eq 'maxmind'    ? { country => { iso_code => $code, names => { en => $code } } }
      : $shape eq 'registered' ? { registered_country => { iso_code => $code } }
      : $shape eq 'flat'       ? { country_code => $code }
      :                          die "unknown shape '$shape'\n";
    $tree->insert_network($network, $record);
}

my $temporary = "$output.tmp$$";
open my $fh, '>:raw', $temporary or die "cannot write $temporary: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot close $temporary: $!\n";
rename $temporary, $output or die "cannot rename $temporary to $output: $!\n";
