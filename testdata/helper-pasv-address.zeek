#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.195966	CyYcGni1z4ZCDY7T9	198.51.100.7	51000	203.0.113.10	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (192,168,1,10,156,85).	T	198.51.100.7	203.0.113.10	40021	-
1767225600.229140	CyYcGni1z4ZCDY7T9	198.51.100.7	51000	203.0.113.10	21	anonymous	<hidden>	RETR	ftp://203.0.113.10/./pub/release-1.4.tar.gz	-	-	425	Failed to establish connection.	-	-	-	-	-
#close	2026-01-01-00-00-06
