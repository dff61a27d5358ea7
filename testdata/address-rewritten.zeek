#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.195966	C15lrBvUjQimZWyoXD	198.51.100.7	51000	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (203,0,113,10,156,72).	T	198.51.100.7	10.0.0.2	40008	-
1767225600.259346	C15lrBvUjQimZWyoXD	198.51.100.7	51000	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/release-1.4.tar.gz	-	3000	226	Transfer complete.	-	-	-	-	FCaDA2BAjScNp0goz
#close	2026-01-01-00-00-00
