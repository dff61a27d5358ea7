#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.195966	CUeI2tshT9F0SS3YZ	203.0.113.50	51000	198.51.100.20	21	alice	<hidden>	PORT	192,168,0,5,195,83	-	-	200	PORT command successful. Consider using PASV.	F	198.51.100.20	192.168.0.5	50003	-
1767225600.229140	CUeI2tshT9F0SS3YZ	203.0.113.50	51000	198.51.100.20	21	alice	<hidden>	RETR	ftp://198.51.100.20/./pub/release-1.4.tar.gz	-	-	425	Failed to establish connection.	-	-	-	-	-
#close	2026-01-01-00-00-04
