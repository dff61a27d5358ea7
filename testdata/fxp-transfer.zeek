#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.033732	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	alice	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,84).	T	10.0.0.3	10.0.0.2	40020	-
1767225600.040880	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	alice	<hidden>	STOR	ftp://10.0.0.2/./incoming/release-1.4.tar.gz	-	-	226	Transfer complete.	-	-	-	-	F1bK5v34HYUia1pedS
1767225600.037306	C1qdfnNZhl4Z1AH287	10.0.0.1	51001	10.0.0.3	21	alice	<hidden>	PORT	10,0,0,2,156,84	-	-	200	PORT command successful. Consider using PASV.	F	10.0.0.3	10.0.0.2	40020	-
1767225600.043892	C1qdfnNZhl4Z1AH287	10.0.0.1	51001	10.0.0.3	21	alice	<hidden>	RETR	ftp://10.0.0.3/./pub/release-1.4.tar.gz	-	3000	226	Transfer complete.	-	-	-	-	F1bK5v34HYUia1pedS
#close	2026-01-01-00-00-00
