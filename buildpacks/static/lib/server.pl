#!/usr/bin/perl
# Static file server shipped in the slug by the static buildpack. Uses only perl-base (part of every Debian
# stack image). Serves GET/HEAD for files under $YB_STATIC_ROOT on $PORT, one forked child per connection;
# never serves dot-files or anything outside the root. On SIGTERM it stops accepting, lets children finish, exits 0.
use strict;
use warnings;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);

my $root = $ENV{YB_STATIC_ROOT} || '/app';
my $port = $ENV{PORT} || 5000;
my %types = (
  html => 'text/html; charset=utf-8', htm => 'text/html; charset=utf-8', css => 'text/css; charset=utf-8',
  js => 'text/javascript; charset=utf-8', mjs => 'text/javascript; charset=utf-8', json => 'application/json',
  txt => 'text/plain; charset=utf-8', xml => 'application/xml', svg => 'image/svg+xml', png => 'image/png',
  jpg => 'image/jpeg', jpeg => 'image/jpeg', gif => 'image/gif', webp => 'image/webp', ico => 'image/x-icon',
  woff => 'font/woff', woff2 => 'font/woff2', wasm => 'application/wasm', pdf => 'application/pdf',
  map => 'application/json',
);

my $server = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => $port, Listen => 128, ReuseAddr => 1)
  or die "static server: cannot listen on port $port: $!\n";
$| = 1;
print "static server: serving $root on port $port\n";

my $stopping = 0;
my %children;
$SIG{TERM} = $SIG{INT} = sub { $stopping = 1; close $server; };
$SIG{CHLD} = sub { while ((my $pid = waitpid(-1, WNOHANG)) > 0) { delete $children{$pid}; } };

until ($stopping) {
  my $client = $server->accept or next;    # interrupted by a signal: check $stopping
  my $pid = fork;
  if (!defined $pid) { close $client; next; }
  if ($pid == 0) {
    $SIG{TERM} = $SIG{INT} = $SIG{CHLD} = 'DEFAULT';
    close $server;
    handle($client);
    exit 0;
  }
  $children{$pid} = 1;
  close $client;
}
print "static server: SIGTERM received, finishing ", scalar(keys %children), " request(s)\n";
1 while waitpid(-1, 0) > 0;
print "static server: stopped\n";
exit 0;

sub respond {
  my ($client, $status, $headers, $body, $head_only) = @_;
  my $text = "HTTP/1.1 $status\r\nConnection: close\r\nContent-Length: " . length($body) . "\r\n";
  $text .= "$_: $headers->{$_}\r\n" for sort keys %$headers;
  print $client $text, "\r\n", ($head_only ? '' : $body);
}

sub handle {
  my ($client) = @_;
  local $SIG{ALRM} = sub { exit 0 };
  alarm 10;
  my $line = <$client> // return;
  while (my $header = <$client>) { last if $header =~ /^\r?\n$/; }
  alarm 0;
  my ($method, $target) = $line =~ m{^([A-Z]+) (\S+) HTTP/1\.[01]\r?\n$} or
    return respond($client, '400 Bad Request', { 'Content-Type' => 'text/plain' }, "bad request\n");
  my $head = $method eq 'HEAD';
  return respond($client, '405 Method Not Allowed', { Allow => 'GET, HEAD', 'Content-Type' => 'text/plain' },
    "method not allowed\n") unless $method eq 'GET' || $head;
  (my $path = $target) =~ s/[?#].*//s;
  $path =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
  my @parts = grep { length } split m{/}, $path;
  return respond($client, '404 Not Found', { 'Content-Type' => 'text/plain' }, "not found\n", $head)
    if $path !~ m{^/} || $path =~ /\0/ || grep { /^\./ } @parts;
  my $file = join '/', $root, @parts;
  if (-d $file) {
    return respond($client, '301 Moved Permanently', { Location => "$path/" }, '', $head) if $path !~ m{/$};
    $file .= '/index.html';
  }
  open(my $fh, '<:raw', $file) && -f $file
    or return respond($client, '404 Not Found', { 'Content-Type' => 'text/plain' }, "not found\n", $head);
  local $/;
  my $body = <$fh>;
  my ($ext) = $file =~ /\.([A-Za-z0-9]+)$/;
  respond($client, '200 OK', { 'Content-Type' => $types{lc($ext // '')} || 'application/octet-stream' }, $body, $head);
}
